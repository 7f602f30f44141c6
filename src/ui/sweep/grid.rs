//! The grid of small multiples: a header row of the first axis's values, a
//! header column of the second's, one cell a run (its value, a sparkline of
//! the figure on the sweep's shared scale, its outcome), the incident's
//! cell starred and the boundary drawn on the cells' edges (CSS, from
//! `viz::sweep`'s marks). A finished cell is a link to its run.
//!
//! The column count reaches the CSS through the CSSOM (`data-css`), as the
//! page's strict CSP allows; a phone gets the grid transposed (rows become
//! columns) when there are more columns than rows.

use crate::run::sweep::SweepJob;
use crate::scenario::catalog;
use crate::scenario::sweep::{is_incident, Cell, Outcome, Sweep, SEED};
use crate::viz::sweep as vz;
use yew::prelude::*;

/// A value of `key` as a reader reads it (with its unit).
fn shown(key: &str, value: &str) -> String {
    if key == SEED {
        return format!("seed {value}");
    }
    catalog::spec(key).map_or(value.to_string(), |s| s.display(value))
}

/// The grid; `job` is `None` before the sweep runs.
pub fn grid(s: &Sweep, job: Option<&SweepJob>, embed: bool) -> Html {
    let (cols, rows) = s.shape();
    let cells = s.cells();
    let results: Vec<Option<&crate::scenario::sweep::CellResult>> = (0..cells.len())
        .map(|i| {
            job.and_then(|j| j.results()[i].as_ref())
                .and_then(|r| r.as_ref().ok())
        })
        .collect();
    let outcomes: Vec<Option<Outcome>> = results.iter().map(|r| r.map(|x| x.outcome)).collect();
    let bounds = vz::row_boundaries(&outcomes, cols);
    let marks = vz::boundary_marks(&bounds, cols);
    let top = vz::top_of(results.iter().flatten().map(|r| r.series.as_slice()));
    let key0 = &s.axes[0].key;
    let key1 = s.axes.get(1).map(|a| a.key.clone());
    let mut class = classes!("sweep-grid");
    if cols > rows {
        class.push("sweep-grid--wide");
    }
    // Which axis runs which way, as laid out wide and as a phone turns it.
    let (wide, tall) = match &key1 {
        Some(k) => (format!("{k} ↓ · {key0} →"), format!("{key0} ↓ · {k} →")),
        None => (format!("{key0} →"), format!("{key0} ↓")),
    };
    let names = html! { <><span class="corner--wide">{ wide }</span><span class="corner--tall">{ tall }</span></> };
    // One axis: no row names, the axis named above the grid.
    let one = key1.is_none();
    let title = if one {
        class.push("sweep-grid--one");
        html! { <p class="sweep__axis sweep__axis--wide muted">{ names.clone() }</p> }
    } else {
        html! {}
    };
    let mut items: Vec<Html> = Vec::with_capacity((cols + 1) * (rows + 1));
    if !one {
        items.push(html! { <div class="sweep-grid__corner">{ names }</div> });
    }
    for c in &cells[..cols] {
        items.push(html! { <div class="sweep-grid__head">{ shown(key0, &c.at[0].1) }</div> });
    }
    for r in 0..rows {
        let first = &cells[r * cols];
        let name = first.at.get(1).map_or(String::new(), |(k, v)| shown(k, v));
        if !one {
            items.push(html! { <div class="sweep-grid__head sweep-grid__row">{ name }</div> });
        }
        for c in &cells[r * cols..(r + 1) * cols] {
            let error = job
                .and_then(|j| j.results()[c.index].as_ref())
                .and_then(|r| r.as_ref().err());
            let running = job.is_some_and(|j| j.is_running(c.index));
            items.push(cell(
                s,
                c,
                results[c.index],
                error,
                running,
                marks[c.index],
                top,
                embed,
            ));
        }
    }
    let done = results.iter().filter(|r| r.is_some()).count();
    html! {
        <>
            <p class="sweep__caption muted">
                { format!("Each cell: one whole run, its {} and that figure over the run (per second, one scale for every cell, top {}). ", s.metric.label(), vz::value_short(s.metric, top)) }
                <span class="key key--outage">{ "outage" }</span>{ " users' error rate over 1 % in some 10 s; " }
                <span class="key key--ok">{ "ok" }</span>{ "; " }
                <span class="key key--line">{ "the boundary" }</span>{ " where the outcome changes; ★ the incident's settings. A cell opens its run." }
            </p>
            { title }
            <div class="sweep-scroll">
                <div id="sweep-grid" class={class}
                    data-css={format!("--cols:{cols};--rows:{rows}")}
                    data-boundary={vz::boundary_attr(&bounds)}
                    data-done={done.to_string()} data-total={cells.len().to_string()}>
                    { for items }
                </div>
            </div>
        </>
    }
}

#[allow(clippy::too_many_arguments)]
fn cell(
    s: &Sweep,
    c: &Cell,
    r: Option<&crate::scenario::sweep::CellResult>,
    error: Option<&String>,
    running: bool,
    mark: vz::Mark,
    top: f64,
    embed: bool,
) -> Html {
    let at: Vec<String> = c.at.iter().map(|(k, v)| shown(k, v)).collect();
    let at = at.join(", ");
    let incident = is_incident(&c.scenario);
    let mut class = classes!("cell");
    if mark.flip {
        class.push("cell--flip");
    }
    if mark.bridge {
        class.push("cell--bridge");
    }
    if incident {
        class.push("cell--incident");
    }
    let star = if incident {
        html! { <span class="cell__star" title="the incident's settings">{ "★" }</span> }
    } else {
        html! {}
    };
    let href = format!("?{}", vz::cell_query(&c.scenario));
    let Some(r) = r else {
        class.push("cell--pending");
        let text = match (error, running) {
            (Some(e), _) => format!("stopped: {e}"),
            (None, true) => "running…".to_string(),
            (None, false) => "waiting".to_string(),
        };
        return html! {
            <div class={class} data-index={c.index.to_string()}>
                { star }
                <span class="cell__value muted">{ text.clone() }</span>
                <span class="visually-hidden">{ format!("{at}: {text}") }</span>
            </div>
        };
    };
    let word = vz::outcome_word(r.outcome);
    class.push(format!("cell--{word}"));
    // The link's name is its text: what is shown (value, outcome) and,
    // for screen readers, where the cell is and the exact figure.
    let more = format!(
        " at {at}{}: {} {}. Open this run.",
        if incident {
            " (the incident's settings)"
        } else {
            ""
        },
        vz::value_text(s.metric, r.value),
        s.metric.label(),
    );
    html! {
        <a class={class} href={href} title={format!("{word}{more}")}
            target={embed.then_some("_blank")} rel={embed.then_some("noopener")}
            data-index={c.index.to_string()} data-digest={format!("{:#018x}", r.digest)}
            data-outcome={word} data-value={r.value.to_string()}>
            { star }
            <span class="cell__value">{ vz::value_short(s.metric, r.value) }</span>
            <svg class="spark" viewBox={format!("0 0 {} {}", vz::SPARK_W, vz::SPARK_H)} preserveAspectRatio="none" aria-hidden="true">
                <path d={vz::spark_path(&r.series, top)} vector-effect="non-scaling-stroke" />
            </svg>
            <span class="cell__word">{ word }</span>
            <span class="visually-hidden">{ more }</span>
        </a>
    }
}
