//! The engine's Web Worker and the page's link to it.
//!
//! [`RunWorker`] runs in the worker (the `incident-worker` binary registers
//! it): a [`Service`] fed the page's [`Request`]s, working in slices of about
//! 30 ms so that a new request (a changed parameter, a seek) is read between
//! two slices. Messages cross as bytes ([`Wire`]: `run::wire`'s bincode with
//! variable-length integers), no JS objects per packet. The page holds a
//! [`Link`] per worker.

use crate::run::{wire, Reply, Request, Service, WorkerStats};
use gloo::timers::callback::Timeout;
use gloo::worker::{Codec, HandlerId, Spawnable, Worker, WorkerBridge, WorkerScope};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageChannel, MessagePort};

/// The loader Trunk writes for the worker binary (`data-loader-shim`),
/// relative to the page so the site works from any subpath.
const LOADER: &str = "./incident-worker_loader.js";

/// What the worker schedules for itself.
pub enum Tick {
    /// Run the next slice.
    Work,
}

/// Schedules the worker's next slice as a new task through a
/// `MessageChannel`: unlike a zero `setTimeout`, which browsers clamp to
/// 4 ms once nested (HTML's timer nesting rule), it costs no wait, and the
/// page's messages that arrived meanwhile are still read first.
struct NextSlice {
    port: MessagePort,
    /// Keeps the channel's handler alive as long as the worker.
    _on_message: Closure<dyn FnMut()>,
}

impl NextSlice {
    fn new(scope: &WorkerScope<RunWorker>) -> Option<NextSlice> {
        let channel = MessageChannel::new().ok()?;
        let scope = scope.clone();
        let on_message = Closure::<dyn FnMut()>::new(move || scope.send_message(Tick::Work));
        channel
            .port2()
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(NextSlice {
            port: channel.port1(),
            _on_message: on_message,
        })
    }

    fn post(&self) -> bool {
        self.port.post_message(&JsValue::NULL).is_ok()
    }
}

/// The engine in a Web Worker.
pub struct RunWorker {
    service: Service,
    to: Option<HandlerId>,
    scheduled: bool,
    next: Option<NextSlice>,
    /// When the current run's request was read (`performance.now()`, ms).
    started_ms: f64,
}

/// This worker's clock, ms (0 where it has none).
fn now_ms() -> f64 {
    js_sys::global()
        .dyn_into::<web_sys::WorkerGlobalScope>()
        .ok()
        .and_then(|g| g.performance())
        .map_or(0.0, |p| p.now())
}

impl RunWorker {
    fn send_all(&self, scope: &WorkerScope<Self>, mut replies: Vec<Reply>) {
        for r in &mut replies {
            if let Reply::Progress { chunk, .. } = r {
                if let Some(f) = chunk.finish.as_mut() {
                    f.worker = Some(WorkerStats {
                        run_ms: now_ms() - self.started_ms,
                        wasm_bytes: super::util::wasm_bytes(),
                    });
                }
            }
        }
        if let Some(id) = self.to {
            for r in replies {
                scope.respond(id, r);
            }
        }
    }

    /// Schedules the next slice as a new task, so that messages the page
    /// sent meanwhile are read first.
    fn schedule(&mut self, scope: &WorkerScope<Self>) {
        if self.scheduled || !self.service.busy() {
            return;
        }
        self.scheduled = true;
        if self.next.as_ref().is_some_and(NextSlice::post) {
            return;
        }
        let scope = scope.clone();
        Timeout::new(0, move || scope.send_message(Tick::Work)).forget();
    }
}

impl Worker for RunWorker {
    type Message = Tick;
    type Input = Request;
    type Output = Reply;

    fn create(scope: &WorkerScope<Self>) -> Self {
        RunWorker {
            service: Service::default(),
            to: None,
            scheduled: false,
            next: NextSlice::new(scope),
            started_ms: 0.0,
        }
    }

    fn update(&mut self, scope: &WorkerScope<Self>, msg: Tick) {
        match msg {
            Tick::Work => {
                self.scheduled = false;
                let replies = self.service.work();
                self.send_all(scope, replies);
                self.schedule(scope);
            }
        }
    }

    fn received(&mut self, scope: &WorkerScope<Self>, msg: Request, id: HandlerId) {
        self.to = Some(id);
        if matches!(msg, Request::Start(_)) {
            self.started_ms = now_ms();
        }
        let replies = self.service.request(msg);
        self.send_all(scope, replies);
        self.schedule(scope);
    }
}

/// gloo-worker's codec for the page's and the workers' messages: the bytes
/// of `run::wire` in a `Uint8Array`. Both ends are this crate, built
/// together; a message that does not decode means a page and a worker from
/// two builds (a stale cache), which gloo's codec interface, returning the
/// message itself, can only end in a panic, as gloo's own codec does.
pub struct Wire;

impl Codec for Wire {
    fn encode<I: Serialize>(input: I) -> JsValue {
        let bytes = wire::encode(&input).expect("the worker's messages serialise");
        js_sys::Uint8Array::from(bytes.as_slice()).into()
    }

    fn decode<O: DeserializeOwned>(input: JsValue) -> O {
        let bytes = js_sys::Uint8Array::new(&input).to_vec();
        // A message from another build reads as `Unreadable`, which the
        // page shows (`run::UNREADABLE`) and the worker answers in kind.
        wire::decode_or_unreadable(&bytes)
            .expect("Request and Reply start with a variant for an unreadable message")
    }
}

/// Registers the worker (the worker binary's `main`).
pub fn register() {
    use gloo::worker::Registrable;
    RunWorker::registrar().encoding::<Wire>().register();
}

/// Delivers a worker's replies to the page.
pub type Deliver = Rc<dyn Fn(Reply)>;
/// Sends the page's requests somewhere.
pub type Requests = Rc<dyn Fn(Request)>;
type Factory = Rc<dyn Fn(Deliver) -> Requests>;

thread_local! {
    /// Set by the browser component tests, which have no worker script to
    /// load: they serve the page's requests themselves.
    static FACTORY: RefCell<Option<Factory>> = const { RefCell::new(None) };
}

/// Serves the page's runs with `f` instead of Web Workers (component tests
/// only: `f` gets where to deliver replies and returns where requests go).
pub fn serve_runs_with(f: impl Fn(Deliver) -> Requests + 'static) {
    FACTORY.with(|x| *x.borrow_mut() = Some(Rc::new(f)));
}

/// The page's end of one worker.
pub enum Link {
    /// A Web Worker.
    Worker(WorkerBridge<RunWorker>),
    /// What [`serve_runs_with`] set up.
    Custom(Requests),
}

impl Link {
    /// Starts a worker whose replies go to `deliver`.
    pub fn spawn(deliver: impl Fn(Reply) + 'static) -> Link {
        if let Some(f) = FACTORY.with(|x| x.borrow().clone()) {
            return Link::Custom(f(Rc::new(deliver)));
        }
        let mut spawner = RunWorker::spawner().encoding::<Wire>();
        let bridge = spawner.callback(deliver).spawn_with_loader(LOADER);
        Link::Worker(bridge)
    }

    /// Sends a request.
    pub fn send(&self, r: Request) {
        match self {
            Link::Worker(b) => b.send(r),
            Link::Custom(f) => f(r),
        }
    }
}
