// A small React page: OpenFeature's React SDK over the Burgee provider (local mode), bundled
// with esbuild by browser.test.mjs.
import { createRoot } from "react-dom/client";
import { OpenFeature } from "@openfeature/web-sdk";
import { OpenFeatureProvider, useBooleanFlagValue, useStringFlagDetails } from "@openfeature/react-sdk";
import { createClient } from "burgee";
import { BurgeeProvider } from "burgee/openfeature";

// ?worker=: the edge worker (another origin: CORS); ?flag=: the string flag shown.
const params = new URLSearchParams(location.search);
const flag = params.get("flag") ?? "banner";

OpenFeature.setContext({ targetingKey: "u1", role: "admin" });
OpenFeature.setProvider(new BurgeeProvider(createClient({ url: params.get("worker"), environment: "production", refresh: { interval: 0 } })));

function Page() {
  const banner = useStringFlagDetails(flag, "(default)");
  const checkout = useBooleanFlagValue("new-checkout", false);
  return (
    <main>
      <h1 id="banner">{banner.value}</h1>
      <p id="variant">variant {banner.variant}</p>
      <p id="checkout">{checkout ? "new checkout" : "old checkout"}</p>
    </main>
  );
}

createRoot(document.getElementById("root")).render(
  <OpenFeatureProvider suspendUntilReady={false}>
    <Page />
  </OpenFeatureProvider>,
);
