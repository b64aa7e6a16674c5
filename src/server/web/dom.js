// Tiny DOM helpers: h('div', {class: 'x'}, child, …). Text is always set as text (no HTML injection).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Chinese text gets lang="zh-CN" so it renders with a CJK font; other text lang="en". */
export function langOf(text) {
  return /[\u3400-\u9fff]/.test(text || '') ? 'zh-CN' : 'en';
}

export function say(text) {
  const s = document.getElementById('status');
  s.textContent = text;
}

export function money(p) {
  if (p.price === undefined || p.price === null) return '';
  const cur = p.currency || '';
  const sym = cur === 'CNY' ? '¥' : cur === 'USD' ? '$' : cur === 'EUR' ? '€' : '';
  return sym ? `${sym}${p.price.toLocaleString('en', { maximumFractionDigits: 2 })}` : `${p.price} ${cur}`.trim();
}

const fmt = (v) => (v === null || v === undefined ? '–' : v.toFixed(2));

/**
 * The product's image from /v1/images/<id>. With a token (servers that protect reads) the image is
 * fetched with the Authorization header and shown from a blob URL, since <img> cannot send headers.
 */
function productImage(id) {
  const placeholder = () => h('div', { class: 'noimg', 'aria-hidden': 'true' }, '□');
  const src = `/v1/images/${encodeURIComponent(id)}`;
  const t = localStorage.getItem('prodsim.token');
  const img = h('img', { alt: '', loading: 'lazy', onerror: (e) => e.target.replaceWith(placeholder()) });
  if (!t) {
    img.src = src;
    return img;
  }
  fetch(src, { headers: { authorization: `Bearer ${t}` } })
    .then((res) => (res.ok ? res.blob() : Promise.reject(new Error(String(res.status)))))
    .then((blob) => { img.src = URL.createObjectURL(blob); })
    .catch(() => img.replaceWith(placeholder()));
  return img;
}

/** What a search hit's ESCI class says to a shopper (the badge text); its reason is the badge's tooltip. */
const RELEVANCE_CLASS_LABELS = { exact: 'match', substitute: 'substitute', complement: 'goes with it', irrelevant: 'not related' };

/** A product card: image, title, brand, price, score, the hit's relevance class badge; links to the product page. */
export function productCard(p, { score, relevance, relevanceClass, relevanceReason, extra, link = true } = {}) {
  const title = h('span', { class: 'title', lang: langOf(p.title) }, p.title);
  const img = p.image ? productImage(p.id) : h('div', { class: 'noimg', 'aria-hidden': 'true' }, '□');
  return h(
    'article',
    { class: 'card', 'data-id': p.id },
    img,
    h('div', { class: 'body' },
      link ? h('a', { href: `#/product/${encodeURIComponent(p.id)}`, class: 'name' }, title) : title,
      h('div', { class: 'meta' },
        p.brand ? h('span', { class: 'brand', lang: langOf(p.brand) }, p.brand) : null,
        h('span', { class: 'price' }, money(p)),
        p.inStock === false ? h('span', { class: 'oos', lang: 'en' }, 'out of stock') : null),
      relevanceClass ? h('span', { class: `badge rc-${relevanceClass}`, lang: 'en', 'data-class': relevanceClass, title: relevanceReason }, RELEVANCE_CLASS_LABELS[relevanceClass] || relevanceClass) : null,
      score !== undefined ? h('div', { class: 'score', lang: 'en' }, `score ${fmt(score)}`, relevance !== undefined ? ` · relevance ${Math.round(relevance * 100)}%` : '') : null,
      extra || null),
  );
}

/**
 * Per-field explanation bars: field, bar of the field score, score × renormalised weight = contribution.
 * Missing fields are listed as such: their weight went to the present fields (renormalised).
 */
export function explanationBars(e) {
  if (!e || !e.fields) return null;
  const rows = e.fields.map((f) =>
    h('li', { class: `field${f.missing ? ' missing' : ''}` },
      h('span', { class: 'fname' }, f.field),
      h('span', { class: 'bar', role: 'img', 'aria-label': f.missing ? `${f.field}: missing` : `${f.field}: ${fmt(f.score)}` },
        h('span', { class: 'fill', style: `width:${Math.round(Math.max(0, Math.min(1, f.score ?? 0)) * 100)}%` })),
      h('span', { class: 'calc', title: f.missing ? `weight ${fmt(f.weight)} shared among the present fields` : undefined }, f.missing ? "missing → renormalised" : `${fmt(f.score)} × ${fmt(f.normalizedWeight)} = ${fmt(f.contribution)}`)));
  return h('div', { class: 'explanation', lang: 'en' },
    h('ul', { class: 'bars' }, rows),
    h('div', { class: 'total' }, `total ${fmt(e.score)} · profile ${e.profile} · coverage ${Math.round((e.coverage ?? 0) * 100)}%`,
      e.matched && e.matched.tokens.length ? h('span', { class: 'matched' }, ` · shared: `, h('span', { lang: 'zh-CN' }, e.matched.tokens.slice(0, 8).join(' '))) : null));
}
