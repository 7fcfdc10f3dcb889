//! The bootstrap put into an HTML page as it streams through, with the runtime's
//! `HTMLRewriter` (the `worker` crate has no binding for it, so the few calls used are bound
//! here): the visitor gets the first bytes of a page while the origin still sends the rest, and
//! a page of any size is personalised without holding it in memory.
//!
//! Where the script goes: first thing in `<head>` (so it is there before any script of the page
//! runs); else, in a page without a head, first thing in `<body>`; else at the end of the
//! document. Exactly once: whichever place comes first takes it.
//!
//! The handlers are Rust closures handed to JavaScript; they live until the document's end
//! handler runs, which frees them (a response the visitor abandons midway keeps its few
//! hundred bytes of handlers for the isolate's life).

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use worker::js_sys::{Object, Reflect};
use worker::wasm_bindgen::JsValue;
use worker::{Response, Result, web_sys};

#[wasm_bindgen]
extern "C" {
    type HTMLRewriter;
    #[wasm_bindgen(constructor)]
    fn new() -> HTMLRewriter;
    #[wasm_bindgen(method)]
    fn on(this: &HTMLRewriter, selector: &str, handlers: &Object) -> HTMLRewriter;
    #[wasm_bindgen(method, js_name = onDocument)]
    fn on_document(this: &HTMLRewriter, handlers: &Object) -> HTMLRewriter;
    #[wasm_bindgen(method, catch)]
    fn transform(
        this: &HTMLRewriter,
        response: &web_sys::Response,
    ) -> std::result::Result<web_sys::Response, JsValue>;

    /// An element or the document's end: each takes content the same way.
    type Content;
    #[wasm_bindgen(method)]
    fn prepend(this: &Content, content: &str, options: &Object);
    #[wasm_bindgen(method)]
    fn append(this: &Content, content: &str, options: &Object);
}

/// The script, whether it is in yet, and the options that insert it as HTML (not as text).
struct Injection {
    script: String,
    done: Cell<bool>,
    as_html: Object,
}

impl Injection {
    /// Inserts the script with `how`, unless it is in already.
    fn once(&self, how: impl FnOnce(&str, &Object)) {
        if !self.done.replace(true) {
            how(&self.script, &self.as_html);
        }
    }
}

/// `{name: handler}`, the shape `HTMLRewriter` takes its handlers in.
fn handlers(name: &str, handler: &JsValue) -> Result<Object> {
    let object = Object::new();
    Reflect::set(&object, &name.into(), handler)?;
    Ok(object)
}

/// `response` (an HTML page) with `script` streamed into it (see the module docs).
pub fn inject(response: Response, script: String) -> Result<Response> {
    let as_html = handlers("html", &JsValue::TRUE)?;
    let state = Rc::new(Injection {
        script,
        done: Cell::new(false),
        as_html,
    });
    let s = state.clone();
    let element: Closure<dyn FnMut(Content)> =
        Closure::new(move |element: Content| s.once(|c, o| element.prepend(c, o)));
    let on_element = handlers("element", element.as_ref())?;
    let rewriter = HTMLRewriter::new()
        .on("head", &on_element)
        .on("body", &on_element);
    let mut alive = Some(element);
    let end = Closure::once_into_js(move |end: Content| {
        state.once(|c, o| end.append(c, o));
        // The document is done: the element handler is not called again.
        alive.take();
    });
    let rewriter = rewriter.on_document(&handlers("end", &end)?);
    let page: web_sys::Response = response.into();
    Ok(rewriter.transform(&page)?.into())
}
