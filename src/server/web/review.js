// Match review: run a match job on two catalogs, show pairs side by side with the explanation,
// accept / reject with buttons or keys (a / r, j / k to move); decisions are stored as labels.
import { api, pollJob } from './api.js';
import { explanationBars, h, langOf, money, say } from './dom.js';

function side(p) {
  return h('div', { class: 'side' },
    h('div', { class: 'pid' }, p.id),
    h('div', { class: 'title', lang: langOf(p.title) }, p.title),
    h('div', { class: 'meta' }, p.brand ? h('span', { class: 'brand', lang: langOf(p.brand) }, p.brand) : null, h('span', { class: 'price' }, money(p))),
    p.category ? h('div', { class: 'cat', lang: langOf(p.category) }, p.category) : null);
}

export async function reviewPage(main, params) {
  const left = h('input', { id: 'left', name: 'left', value: params.get('left') || 'data/shop-a.jsonl', size: 28 });
  const right = h('input', { id: 'right', name: 'right', value: params.get('right') || 'data/shop-b.jsonl', size: 28 });
  const progress = h('progress', { max: 1, value: 0, 'aria-label': 'match progress' });
  const list = h('ol', { class: 'pairs', 'aria-label': 'Candidate pairs' });
  const form = h('form', { class: 'match-form', onsubmit: (ev) => { ev.preventDefault(); run(); } },
    h('label', {}, 'Left catalog ', left), h('label', {}, 'Right catalog ', right),
    h('button', { type: 'submit', id: 'run-match' }, 'Run match'), progress);
  main.replaceChildren(h('h1', { lang: 'en' }, 'Match review ', h('span', { lang: 'zh-CN' }, '匹配审核')),
    h('p', { lang: 'en', class: 'hint' }, 'Pairs found by a matching job. Accept (a) or reject (r) each; j / k move. Decisions are stored as labels that training uses (needs the write token).'),
    form, list);
  let rows = [];
  let current = 0;

  function focusRow(i) {
    if (rows.length === 0) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows[current].el.focus();
  }

  async function decide(i, label) {
    const row = rows[i];
    // Move on at once (so quick a/r presses decide successive pairs); the label is written meanwhile.
    if (i === current) focusRow(i + 1);
    row.state.textContent = 'saving…';
    try {
      await api('POST', '/v1/labels', { labels: [{ leftId: row.pair.left.id, rightId: row.pair.right.id, label, source: 'review' }] });
      row.el.dataset.decision = label === 1 ? 'accepted' : 'rejected';
      row.state.textContent = label === 1 ? '✓ accepted' : '✗ rejected';
      say(`${row.pair.left.id} – ${row.pair.right.id} ${label === 1 ? 'accepted' : 'rejected'}`);
    } catch (e) {
      row.state.textContent = String(e.message);
      say(String(e.message));
    }
  }

  async function run() {
    list.replaceChildren();
    say('matching…');
    try {
      const job = await api('POST', '/v1/jobs/match', { left: left.value.trim(), right: right.value.trim() });
      const done = await pollJob(job.id, (j) => {
        progress.max = Math.max(1, j.progress.total);
        progress.value = j.progress.done;
        say(`${j.state}: ${j.progress.done}/${j.progress.total} (${j.progress.itemsPerSecond.toFixed(0)}/s)`);
      });
      const pairs = done.result.pairs;
      const existing = await api('GET', '/v1/labels?source=review');
      const decided = new Map(existing.labels.map((l) => [`${l.leftId}\u0000${l.rightId}`, l.label]));
      rows = pairs.map((pair, i) => {
        const state = h('span', { class: 'state', 'aria-live': 'polite' });
        const el = h('li', { class: 'pair', tabindex: 0, 'data-index': i, 'aria-label': `pair ${i + 1}: ${pair.left.title} / ${pair.right.title}` },
          h('div', { class: 'sides' }, side(pair.left), h('div', { class: 'pscore', lang: 'en' }, `score ${pair.score.toFixed(2)}`), side(pair.right)),
          explanationBars(pair.explanation),
          h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'accept', onclick: () => decide(i, 1) }, 'Accept (a)'),
            h('button', { type: 'button', class: 'reject', onclick: () => decide(i, 0) }, 'Reject (r)'),
            state));
        el.addEventListener('focus', () => { current = i; });
        const prior = decided.get(`${pair.left.id}\u0000${pair.right.id}`);
        if (prior !== undefined) {
          el.dataset.decision = prior >= 0.5 ? 'accepted' : 'rejected';
          state.textContent = prior >= 0.5 ? '✓ accepted' : '✗ rejected';
        }
        return { pair, el, state };
      });
      list.replaceChildren(...rows.map((r) => r.el));
      say(`${pairs.length} pairs (${done.result.stats.candidatePairs} candidates) — j/k to move, a/r to decide`);
      focusRow(0);
    } catch (e) {
      list.replaceChildren(h('li', { class: 'error', role: 'alert' }, String(e.message)));
      say(String(e.message));
    }
  }

  list.addEventListener('keydown', (ev) => {
    if (ev.target instanceof HTMLButtonElement && (ev.key === 'Enter' || ev.key === ' ')) return;
    if (ev.key === 'j' || ev.key === 'ArrowDown') { ev.preventDefault(); focusRow(current + 1); }
    else if (ev.key === 'k' || ev.key === 'ArrowUp') { ev.preventDefault(); focusRow(current - 1); }
    else if (ev.key === 'a') { ev.preventDefault(); decide(current, 1); }
    else if (ev.key === 'r') { ev.preventDefault(); decide(current, 0); }
  });
  left.focus();
}
