// Evaluation page: the latest report (an eval job's or a benchmark's Markdown) with its tables and
// SVG plots, and buttons to train a matcher on the stored labels and evaluate it.
import { api, pollJob } from './api.js';
import { h, say } from './dom.js';

/** Minimal Markdown: headings, tables, images, lists, code, paragraphs. Text only, no HTML passes through. */
function renderMarkdown(md, dir) {
  const out = [];
  const lines = md.split('\n');
  const inline = (text) => {
    const parts = [];
    const re = /!\[([^\]]*)\]\(([^)]+)\)|\*\*([^*]+)\*\*|`([^`]+)`|\[([^\]]+)\]\(([^)]+)\)/g;
    let last = 0;
    let m;
    while ((m = re.exec(text))) {
      parts.push(text.slice(last, m.index));
      if (m[2] !== undefined) {
        const src = /^[\w.-]+\.svg$/.test(m[2].replace(/^\.\//, '')) ? `/v1/reports/${dir}/${m[2].replace(/^\.\//, '')}` : null;
        parts.push(src ? h('img', { src, alt: m[1], class: 'plot' }) : m[1]);
      } else if (m[3] !== undefined) parts.push(h('b', {}, m[3]));
      else if (m[4] !== undefined) parts.push(h('code', {}, m[4]));
      else parts.push(m[5]);
      last = re.lastIndex;
    }
    parts.push(text.slice(last));
    return parts;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^#{1,4}\s/.test(line)) {
      const level = Math.min(4, line.match(/^#+/)[0].length + 1);
      out.push(h(`h${level}`, {}, inline(line.replace(/^#+\s*/, ''))));
    } else if (line.startsWith('|')) {
      const rows = [];
      while (i < lines.length && lines[i].startsWith('|')) rows.push(lines[i++]);
      i--;
      const cells = (r) => r.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
      const body = rows.slice(2).map((r) => h('tr', {}, cells(r).map((c) => h('td', {}, inline(c)))));
      out.push(h('div', { class: 'table-wrap' }, h('table', {}, h('thead', {}, h('tr', {}, cells(rows[0]).map((c) => h('th', { scope: 'col' }, inline(c))))), h('tbody', {}, body))));
    } else if (line.startsWith('```')) {
      const code = [];
      while (++i < lines.length && !lines[i].startsWith('```')) code.push(lines[i]);
      out.push(h('pre', {}, code.join('\n')));
    } else if (/^\s*[-*]\s/.test(line)) {
      const items = [];
      while (i < lines.length && /^\s*[-*]\s/.test(lines[i])) items.push(lines[i++].replace(/^\s*[-*]\s/, ''));
      i--;
      out.push(h('ul', {}, items.map((t) => h('li', {}, inline(t)))));
    } else if (line.trim() !== '') {
      out.push(h('p', {}, inline(line)));
    }
  }
  return out;
}

export async function evalPage(main) {
  const select = h('select', { id: 'report', 'aria-label': 'Report' });
  const view = h('article', { class: 'report', lang: 'en' });
  const progress = h('progress', { max: 1, value: 0, 'aria-label': 'job progress' });
  async function runJob(kind, body) {
    say(`${kind}…`);
    try {
      const job = await api('POST', `/v1/jobs/${kind}`, body);
      const done = await pollJob(job.id, (j) => {
        progress.max = Math.max(1, j.progress.total);
        progress.value = j.progress.done;
        say(`${kind} ${j.state}: ${j.progress.stage} ${j.progress.done}/${j.progress.total}`);
      });
      say(`${kind} done`);
      return done;
    } catch (e) {
      say(String(e.message));
      view.prepend(h('p', { class: 'error', role: 'alert' }, String(e.message)));
    }
  }
  const catalogs = { left: 'data/shop-a.jsonl', right: 'data/shop-b.jsonl' };
  const train = h('button', { type: 'button', onclick: async () => { await runJob('train', { source: 'review', ...catalogs }); } }, 'Train on review labels');
  const evaluate = h('button', { type: 'button', onclick: async () => { if (await runJob('eval', { pairs: 'data/shop-ab-matches.csv', ...catalogs })) await load(); } }, 'Evaluate on shop-ab-matches');

  async function showReport(value) {
    const [dir, name] = value.split('/');
    const md = await (await fetch(`/v1/reports/${dir}/${encodeURIComponent(name)}`, { headers: authHeaders() })).text();
    view.replaceChildren(...renderMarkdown(md, dir));
  }
  function authHeaders() {
    const t = localStorage.getItem('prodsim.token');
    return t ? { authorization: `Bearer ${t}` } : {};
  }
  async function load() {
    const { reports } = await api('GET', '/v1/reports');
    select.replaceChildren(...reports.map((r) => h('option', { value: `${r.dir}/${r.name}` }, `${r.dir === 'eval' ? 'latest eval job' : 'benchmark'}: ${r.name} (${r.modified.slice(0, 16).replace('T', ' ')})`)));
    if (reports.length) await showReport(select.value);
    else view.replaceChildren(h('p', {}, 'No report yet: run an evaluation.'));
  }
  select.addEventListener('change', () => showReport(select.value));
  main.replaceChildren(h('h1', { lang: 'en' }, 'Evaluation ', h('span', { lang: 'zh-CN' }, '评估')),
    h('div', { class: 'toolbar', lang: 'en' }, h('label', {}, 'Report ', select), train, evaluate, progress), view);
  try {
    await load();
  } catch (e) {
    view.replaceChildren(h('p', { class: 'error', role: 'alert' }, String(e.message)));
  }
}
