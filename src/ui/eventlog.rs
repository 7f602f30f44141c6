//! The event log: every notable event and every sampled packet up to the
//! clock (the whole run is known; the log follows the moment shown),
//! filterable and searchable; only the rows in view are in the DOM, so
//! 100,000 rows scroll smoothly. It is also the text alternative of the
//! animation. Clicking a row goes there.

use super::state::{Action, Ctx};
use super::util;
use crate::scenario::url::LogFilter as Filter;
use crate::sim::time::SimTime;
use crate::sim::trace::PacketKind;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use yew::prelude::*;

const ROW_H: f64 = 22.0;
/// The log's height, px (also `.log` in styles/app.css).
const VIEW_H: f64 = 330.0;

#[derive(Clone, Copy, PartialEq)]
enum Row {
    Event(usize),
    Packet(usize),
}

#[derive(Default)]
struct LogCache {
    key: Option<(Filter, String, u32)>,
    events: usize,
    packets: usize,
    rows: Vec<Row>,
}

thread_local! {
    /// A scroll position for the log waiting for the next animation frame.
    static PENDING_SCROLL: RefCell<Option<(web_sys::Element, i32)>> = const { RefCell::new(None) };
}

/// Applies the log's waiting scroll position; the animation loop calls this
/// first thing in a frame, before anything else writes to the DOM.
pub fn apply_pending_scroll() {
    if let Some((el, top)) = PENDING_SCROLL.with(|p| p.borrow_mut().take()) {
        el.set_scroll_top(top);
    }
}

/// The event log panel.
#[component(EventLog)]
pub fn event_log() -> Html {
    let ctx = use_context::<Ctx>().expect("context");
    let scroll = use_state(|| 0.0f64);
    let follow = use_state(|| true);
    // The search and the filters are in the view state (a link carries them).
    let query = ctx.view.log_query.clone();
    let filter = ctx.view.log_filter;
    let list_ref = use_node_ref();
    let cache = use_mut_ref(LogCache::default);

    let page = ctx.page.borrow();
    let q = query.to_lowercase();
    let f = filter;
    let empty = (Vec::new(), Vec::new());
    let (events, packets, gen) = match page.record() {
        Some(r) => (&r.events, &r.packets, r.id().gen),
        None => (&empty.0, &empty.1, 0),
    };
    let now = page.clock.t;
    // Rows are built incrementally while the clock moves forward; moving it
    // back (or a new run, filter or search) rebuilds them.
    let ev_end = events.partition_point(|e| e.at <= now);
    let pk_end = packets.partition_point(|p| p.sent <= now);
    let mut cache = cache.borrow_mut();
    let key = (f, q.clone(), gen);
    if cache.key.as_ref() != Some(&key) || ev_end < cache.events || pk_end < cache.packets {
        *cache = LogCache {
            key: Some(key),
            ..LogCache::default()
        };
    }
    let (mut i, mut j) = (cache.events, cache.packets);
    while i < ev_end || j < pk_end {
        let take_event = j >= pk_end || (i < ev_end && events[i].at <= packets[j].sent);
        if take_event {
            let ev = &events[i];
            if f.events && !f.drops_only && (q.is_empty() || ev.text.to_lowercase().contains(&q)) {
                cache.rows.push(Row::Event(i));
            }
            i += 1;
        } else {
            let p = &packets[j];
            let is_syn = matches!(p.kind, PacketKind::Syn | PacketKind::SynRetransmit);
            let kind_ok = if is_syn { f.syn } else { f.replies };
            let drop_ok = !f.drops_only || p.fate.dropped();
            if kind_ok && drop_ok && (q.is_empty() || packet_text(p).to_lowercase().contains(&q)) {
                cache.rows.push(Row::Packet(j));
            }
            j += 1;
        }
    }
    cache.events = i;
    cache.packets = j;
    let rows = &cache.rows;
    let total = rows.len();
    let content_h = total as f64 * ROW_H;
    let top = if *follow {
        (content_h - VIEW_H).max(0.0)
    } else {
        (*scroll).min((content_h - VIEW_H).max(0.0))
    };
    let first = (top / ROW_H).floor() as usize;
    let count = (VIEW_H / ROW_H).ceil() as usize + 2;
    let visible: Vec<Html> = rows
        .iter()
        .enumerate()
        .skip(first)
        .take(count)
        .map(|(idx, r)| {
            let y = idx as f64 * ROW_H;
            let (t, text, cls, sel): (SimTime, String, &str, Option<u32>) = match *r {
                Row::Event(k) => (events[k].at, events[k].text.clone(), "row row--event", None),
                Row::Packet(k) => {
                    let p = &packets[k];
                    (p.sent, packet_text(p), if p.fate.dropped() { "row row--drop" } else { "row" }, Some(p.id))
                }
            };
            let selected = sel.is_some() && sel == ctx.view.selected;
            let onclick = {
                let page = ctx.page.clone();
                let view = ctx.view.clone();
                let follow = follow.clone();
                let refresh = ctx.refresh.clone();
                Callback::from(move |_| {
                    follow.set(false);
                    {
                        let mut p = page.borrow_mut();
                        p.clock.playing = false;
                        p.seek(t);
                    }
                    if let Some(id) = sel {
                        view.dispatch(Action::Select(Some(id)));
                    }
                    refresh.emit(());
                })
            };
            html! {
                <div class={classes!(cls.to_string(), selected.then_some("row--sel"))} data-css={format!("top:{y}px")} role="row" aria-rowindex={(idx + 1).to_string()} onclick={onclick}
                    data-pkt={sel.map(|id| id.to_string())}>
                    <span class="row__t" role="cell">{ crate::format::sim_time_exact(t, 3) }</span>
                    <span class="row__x" role="cell">{ text }</span>
                </div>
            }
        })
        .collect();
    drop(cache);
    drop(page);

    // The list's scrollTop as last read or set: reading it right after a
    // render would force a layout pass every time the log follows the clock.
    let dom_top: Rc<Cell<f64>> = use_memo((), |_| Cell::new(0.0));
    let onscroll = {
        let scroll = scroll.clone();
        let follow = follow.clone();
        let list_ref = list_ref.clone();
        let dom_top = dom_top.clone();
        Callback::from(move |_: Event| {
            if let Some(el) = list_ref.cast::<web_sys::Element>() {
                let st = f64::from(el.scroll_top());
                // The echo of the log's own write (following the clock)
                // changes nothing: setting state would re-render the log,
                // whose new rows move the bottom, whose write echoes again
                // (a forced layout in most frames at 1x).
                let echo = (st - dom_top.get()).abs() <= 1.0;
                if echo && (*follow || (*scroll - st).abs() <= 1.0) {
                    return;
                }
                dom_top.set(st);
                let at_bottom = st + VIEW_H >= content_h - ROW_H;
                scroll.set(st);
                follow.set(at_bottom);
            }
        })
    };
    // Keep the DOM scroll position in step with `follow`. Writing
    // `scrollTop` right after a render forces a layout of the whole page
    // (about 4 ms a render at 10x); while the clock runs the write waits for
    // the start of the next frame, when layout is still clean.
    {
        let list_ref = list_ref.clone();
        use_effect(move || {
            if let Some(el) = list_ref.cast::<web_sys::Element>() {
                util::apply_css_data(&el);
                if (dom_top.get() - top).abs() > 1.0 {
                    dom_top.set(top);
                    // Written at the start of the next frame: right after a
                    // render it would force a layout of the whole page.
                    PENDING_SCROLL.with(|p| *p.borrow_mut() = Some((el, top as i32)));
                }
            }
            || ()
        });
    }
    let on_query = {
        let view = ctx.view.clone();
        Callback::from(move |e: InputEvent| view.dispatch(Action::LogQuery(util::input_value(&e))))
    };
    let check = |label: &'static str, id: &'static str, on: bool, set: fn(&mut Filter, bool)| {
        let view = ctx.view.clone();
        html! {
            <label><input type="checkbox" id={id} checked={on} onchange={Callback::from(move |e: Event| {
                let mut f = filter;
                set(&mut f, util::input_checked(&e));
                view.dispatch(Action::LogFilter(f));
            })} />{ label }</label>
        }
    };
    html! {
        <>
            <h2>{ "Event log" }</h2>
            <div class="log__filters" role="group" aria-label="Filters">
                <input type="search" id="log-search" placeholder="search: IP, reason, pod…" aria-label="Search the log" value={query.clone()} oninput={on_query} />
                { check(" events", "log-events", f.events, |f, v| f.events = v) }
                { check(" SYNs", "log-syn", f.syn, |f, v| f.syn = v) }
                { check(" replies", "log-replies", f.replies, |f, v| f.replies = v) }
                { check(" drops only", "log-drops", f.drops_only, |f, v| f.drops_only = v) }
                <span class="muted" id="log-count">{ format!("{total} rows") }</span>
            </div>
            // Focusable, so the keyboard scrolls it; only the rows in view are in
            // the document, so the table says how many there are.
            <div class="log" id="log" ref={list_ref} onscroll={onscroll} tabindex="0" role="table"
                aria-label="Events and sampled packets" aria-rowcount={total.to_string()}>
                <div class="log__content" data-css={format!("height:{content_h}px")}>{ for visible }</div>
            </div>
        </>
    }
}

fn packet_text(p: &crate::sim::trace::PacketRecord) -> String {
    format!(
        "{} {}:{} → {}:{}  node {}  {}",
        p.kind.label(),
        p.src,
        p.sport,
        p.dst,
        p.dport,
        p.node,
        p.fate.reason()
    )
}
