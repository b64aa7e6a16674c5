// The web UI: hash routes #/ (search), #/product/<id>, #/review, #/eval. Plain modules, all served locally.
import { api } from './api.js';
import { explanationBars, h, langOf, money, productCard, say } from './dom.js';
import { reviewPage } from './review.js';
import { evalPage } from './eval.js';

const main = () => document.getElementById('main');

function show(...nodes) {
  main().replaceChildren(...nodes);
}

function errorBox(e) {
  return h('p', { class: 'error', role: 'alert', lang: 'en' }, String(e.message || e));
}

// ---------------------------------------------------------------- search

async function searchPage(params) {
  const q = params.get('q') || '';
  const input = h('input', { id: 'q', type: 'search', name: 'q', value: q, placeholder: '红色连衣裙 · iPhone 15 · running shoes', 'aria-label': 'Search products', lang: langOf(q) || 'zh-CN', autocomplete: 'off' });
  const form = h('form', { class: 'search', role: 'search', onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = `#/?q=${encodeURIComponent(input.value.trim())}`;
  } }, input, h('button', { type: 'submit' }, 'Search'));
  const results = h('section', { class: 'results', 'aria-label': 'Results' });
  show(h('h1', { lang: 'en' }, 'Search ', h('span', { lang: 'zh-CN' }, '商品搜索')), form, results);
  if (!q) {
    input.focus();
    return;
  }
  say('searching…');
  try {
    const r = await api('POST', '/v1/search', { query: q, k: 24 });
    // Below the calibrated threshold the hits are the nearest the catalog has, not matches: say so instead of counting them.
    const summary = r.noGoodMatch
      ? h('p', { class: 'count no-good-match', role: 'status', lang: 'en' }, 'No good match for ', h('q', { lang: langOf(q) }, q),
        ` (best relevance ${Math.round(r.bestRelevance * 100)}%, below ${Math.round(r.noGoodMatchBelow * 100)}%). The nearest products:`)
      : h('p', { class: 'count', lang: 'en' }, `${r.hits.length} results for `, h('q', { lang: langOf(q) }, q));
    results.replaceChildren(
      summary,
      h('div', { class: `grid${r.noGoodMatch ? ' nearest' : ''}` }, r.hits.map((hit) => productCard(hit.product, { score: hit.score, relevance: hit.relevance, relevanceClass: hit.relevanceClass, relevanceReason: hit.relevanceCheck?.reason }))));
    say(r.noGoodMatch ? 'no good match' : `${r.hits.length} results`);
  } catch (e) {
    results.replaceChildren(errorBox(e));
    say('');
  }
}

// ---------------------------------------------------------------- product

// An answer below the similar task's minimum score says so, instead of listing weak items.
function noGoodMatchText(result) {
  const best = result.bestScore === undefined ? 'nothing retrieved' : `best score ${result.bestScore.toFixed(2)}`;
  return `No good match: nothing reaches ${result.minScore} (${best})`;
}

function scoredList(title, result, id) {
  const items = result.items;
  return h('section', { class: 'similar', 'aria-labelledby': id },
    h('h2', { id }, title),
    items.length === 0
      ? h('p', { lang: 'en', class: 'no-good-match' }, result.noGoodMatch ? noGoodMatchText(result) : 'none found')
      : h('ol', { class: 'scored' }, items.map((it) => h('li', {}, productCard(it.product, { score: it.score, extra: explanationBars(it.explanation) })))));
}

async function productPage(id) {
  say('loading…');
  try {
    const [{ product, summary }, similar, substitutes, price] = await Promise.all([
      api('GET', `/v1/products/${encodeURIComponent(id)}`),
      api('POST', '/v1/similar', { id, k: 6 }),
      api('POST', '/v1/similar', { id, k: 4, substitutes: true }),
      api('POST', '/v1/price', { id, k: 10 }).catch(() => undefined),
    ]);
    const priceLine = price && price.median !== undefined
      ? h('p', { class: 'price-ref', lang: 'en' }, h('b', {}, 'Price reference '),
        `${money({ price: price.median, currency: price.currency })} median of ${price.used} similar products, 10–90% band ${money({ price: price.low, currency: price.currency })}–${money({ price: price.high, currency: price.currency })}`,
        price.ratioToMedian !== undefined ? ` · this one is ${Math.round(price.ratioToMedian * 100)}% of the median` : '')
      : null;
    const attrs = Object.entries(product.attributes || {});
    const detail = h('section', { class: 'detail' },
      productCard(summary, { link: false }),
      h('div', { class: 'facts' },
        priceLine,
        product.category ? h('p', {}, h('b', { lang: 'en' }, 'Category '), h('span', { lang: langOf(product.category) }, product.category)) : null,
        product.description ? h('p', { lang: langOf(product.description) }, product.description) : null,
        product.tags && product.tags.length ? h('p', { class: 'tags' }, product.tags.map((t) => h('span', { class: 'tag', lang: langOf(t) }, t))) : null,
        attrs.length ? h('dl', {}, attrs.map(([k, v]) => [h('dt', { lang: langOf(k) }, k), h('dd', { lang: langOf(v) }, v)])) : null));
    show(
      h('p', {}, h('a', { href: 'javascript:history.back()', lang: 'en' }, '← back')),
      h('h1', { lang: langOf(product.title) }, product.title),
      detail,
      h('div', { class: 'columns' },
        scoredList('Similar items 相似商品', similar, 'similar-h'),
        scoredList('Substitutes (in stock) 可替代商品', substitutes, 'subst-h')));
    say(similar.noGoodMatch ? noGoodMatchText(similar) : `${similar.items.length} similar items, ${substitutes.items.length} substitutes`);
    main().focus({ preventScroll: true });
  } catch (e) {
    show(errorBox(e));
    say('');
  }
}

// ---------------------------------------------------------------- router

async function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?');
  const params = new URLSearchParams(query);
  for (const a of document.querySelectorAll('[data-nav]')) {
    const active = (a.dataset.nav === 'search' && (path === '/' || path.startsWith('/product'))) || path === `/${a.dataset.nav}`;
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (path.startsWith('/product/')) return productPage(decodeURIComponent(path.slice('/product/'.length)));
  if (path === '/review') return reviewPage(main(), params);
  if (path === '/eval') return evalPage(main());
  return searchPage(params);
}

window.addEventListener('hashchange', route);
window.addEventListener('DOMContentLoaded', () => {
  const tokenInput = document.getElementById('token');
  tokenInput.value = localStorage.getItem('prodsim.token') || '';
  tokenInput.addEventListener('input', () => localStorage.setItem('prodsim.token', tokenInput.value.trim()));
  document.addEventListener('keydown', (ev) => {
    const typing = ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement;
    if (ev.key === '/' && !typing) {
      ev.preventDefault();
      const q = document.getElementById('q');
      if (q) q.focus();
      else location.hash = '#/';
    }
  });
  route();
});
