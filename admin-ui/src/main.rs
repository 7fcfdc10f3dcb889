fn main() {
    burgee_admin_ui::start();
}
