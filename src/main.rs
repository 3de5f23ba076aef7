//! The app's entry point, called by the script Trunk writes into `index.html`.

use wasm_bindgen::JsCast;

fn main() {
    zhida_app::api_client::install_panic_reporter();
    let document = leptos::prelude::document();
    // `index.html` shows a loading line in #app until the app takes over.
    let root = document
        .get_element_by_id("app")
        .expect("index.html has #app");
    root.set_inner_html("");
    leptos::mount::mount_to(root.unchecked_into(), zhida_app::App).forget();
}
