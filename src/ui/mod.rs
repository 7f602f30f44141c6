//! The page: Yew components over the engine (wasm32 only).

mod app;

pub use app::App;

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
