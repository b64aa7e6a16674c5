import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTextAnalyzer } from '../src/text/index.ts';

const analyzer = createTextAnalyzer();

test('segments Chinese and keeps English words, folding full-width and case', () => {
  const { tokens, normalized } = analyzer.analyze('苹果手机 ＩＰｈｏｎｅ 15');
  assert.equal(normalized, '苹果手机 iphone 15');
  assert.deepEqual(tokens, ['苹果', '手机', 'iphone', '15']);
});

test('keeps e-commerce product words whole that default jieba splits', () => {
  const cases: [string, string[]][] = [
    ['iPhone15钢化膜全屏覆盖', ['钢化膜']],
    ['显瘦高腰牛仔裤女', ['显瘦', '高腰', '牛仔裤', '女']],
    ['夏季碎花连衣裙', ['连衣裙']],
    ['华为蓝牙耳机 充电宝 数据线 手机壳', ['华为', '蓝牙耳机', '充电宝', '数据线', '手机壳']],
    ['韩版百搭包臀裙内搭', ['百搭', '包臀裙', '内搭']],
    ['粗跟高跟鞋 坡跟凉拖', ['粗跟', '高跟鞋', '坡跟', '凉拖']],
  ];
  for (const [title, words] of cases) {
    const { tokens } = analyzer.analyze(title);
    for (const w of words) assert.ok(tokens.includes(w), `${title}: expected ${w} in ${JSON.stringify(tokens)}`);
  }
});

test('女/男 are not swallowed by HMM-made words, real gender words stay whole', () => {
  assert.deepEqual(analyzer.tokenize('套装女潮牌 上衣女夏'), ['套装', '女', '潮牌', '上衣', '女', '夏']);
  assert.deepEqual(analyzer.tokenize('男女同款 女士 男鞋 美女'), ['男女', '同款', '女士', '男鞋', '美女']);
});

test('keeps brand names whole', () => {
  const brands = ['华为', '小米', '耐克', '阿迪达斯', '优衣库', '索尼', '佳能', '美的', '苹果', '三星', '李宁', '安踏', '海尔', '格力', '联想', '戴尔'];
  for (const brand of brands) {
    const { tokens } = analyzer.analyze(`${brand}官方旗舰店正品新款`);
    assert.equal(tokens[0], brand, `${brand}: ${JSON.stringify(tokens)}`);
  }
  // A boosted 美的 must not eat the 美 of 甜美 / 完美.
  assert.deepEqual(analyzer.tokenize('甜美的连衣裙'), ['甜美', '连衣裙']);
});

test('mixed Latin + Han product words stay whole, look-alike spellings fold to one', () => {
  assert.deepEqual(analyzer.tokenize('短袖T恤女'), ['短袖', 't恤', '女']);
  assert.deepEqual(analyzer.tokenize('丅恤 体恤 T桖'), ['t恤', 't恤', 't恤']);
  assert.ok(analyzer.tokenize('32G U盘').includes('u盘'));
  assert.ok(analyzer.tokenize('V领A字裙').includes('a字裙'));
});

test('converts traditional to simplified (on by default, off on request)', () => {
  const { normalized, tokens } = analyzer.analyze('連衣裙 顯瘦高腰牛仔褲 藍牙耳機');
  assert.equal(normalized, '连衣裙 显瘦高腰牛仔裤 蓝牙耳机');
  assert.deepEqual(tokens, ['连衣裙', '显瘦', '高腰', '牛仔裤', '蓝牙耳机']);
  const keep = createTextAnalyzer({ traditionalToSimplified: false });
  assert.equal(keep.analyze('連衣裙').normalized, '連衣裙');
});

test('English: possessives, stop words, hyphenated words, decimals', () => {
  assert.deepEqual(analyzer.tokenize("Men's Running Shoes for the Road"), ['men', 'running', 'shoes', 'road']);
  assert.deepEqual(analyzer.tokenize('Noise-Cancelling Over-Ear Headphones'), ['noise', 'cancelling', 'over', 'ear', 'headphones']);
  assert.deepEqual(analyzer.tokenize('Onkyo 7.1 Channel Receiver'), ['onkyo', '7.1', 'channel', 'receiver']);
  // Words that tell products apart are not stop words.
  assert.deepEqual(analyzer.tokenize('iPad Pro Max Mini Plus No Logo'), ['ipad', 'pro', 'max', 'mini', 'plus', 'no', 'logo']);
  assert.deepEqual(analyzer.tokenize('男 女 大 小 的 了'), ['男', '女', '大', '小']);
});

test('stop-word removal can be switched off', () => {
  const all = createTextAnalyzer({ removeStopWords: false });
  assert.deepEqual(all.tokenize('case for the iPhone 的'), ['case', 'for', 'the', 'iphone', '的']);
});

test('extracts model numbers in canonical form and uses it as the token', () => {
  const cases: [string, string[]][] = [
    ['Sony Cyber-shot DSC-W120/P Digital Camera', ['dscw120p']],
    ['Samsung Galaxy S21 Ultra SM-G9910 5G', ['s21', 'smg9910']],
    ['Sony WH-1000XM5 Wireless Headphones', ['wh1000xm5']],
    ['Sony Bravia KDL-46V5100 46" LCD HDTV', ['kdl46v5100']],
    ['Apple MacBook Air A2849', ['a2849']],
    ['Logitech MX-500 Optical Mouse', ['mx500']],
    ['ASUS ROG Strix RTX4090 OC', ['rtx4090']],
    ['Garmin 010-10815-00 suction cup mount', ['0101081500']],
    ['Microsoft Press 0-7356-1856-9', ['0735618569']],
    ['索尼WH-1000XM5头戴式蓝牙耳机', ['wh1000xm5']],
  ];
  for (const [title, expected] of cases) {
    const r = analyzer.analyze(title);
    assert.deepEqual(r.modelNumbers, expected, title);
    for (const m of expected) assert.ok(r.tokens.includes(m), `${title}: token ${m}`);
  }
  assert.deepEqual(analyzer.analyze('WH1000XM5').modelNumbers, analyzer.analyze('wh-1000xm5').modelNumbers);
});

test('does not take numbers, years, units, sizes or formats for model numbers', () => {
  const titles = [
    '2020新款 夏季 iPhone 15 128GB',
    'Seagate 16GB 2 TB 7200 rpm 1080p 4K mp3 USB3 802.11n',
    'XXL 3XL 2XL 1st 2nd 8-port 3-year warranty',
    '145cm150矮个子女装 lily2020 2020ins 19ss',
    'Sony 50mm f/1.8 lens 13x18 photo paper',
    'Crucial DDR3L PC3-12800 CL10, Kingston C10 U3 V30, Socket AM4, 10K rpm, 8ch DVR, 2.8K OLED',
    'fits 15 in a bag',
  ];
  for (const t of titles) assert.deepEqual(analyzer.analyze(t).modelNumbers, [], t);
});

test('extracts quantities with canonical units in English and Chinese', () => {
  const q = (text: string) => analyzer.analyze(text).quantities.map((x) => [x.value, x.unit]);
  assert.deepEqual(q('Kingston 16GB USB, 2 TB HDD'), [[16, 'gb'], [2, 'tb']]);
  assert.deepEqual(q('7.2 megapixel, 12MP, 1200万像素'), [[7.2, 'mp'], [12, 'mp']]);
  assert.deepEqual(q('农夫山泉 500ml 500毫升 1.5L 2升'), [[500, 'ml'], [1.5, 'l'], [2, 'l']]);
  assert.deepEqual(q('2kg 3公斤 5千克 2斤 250g 250克'), [[2, 'kg'], [3, 'kg'], [5, 'kg'], [1, 'kg'], [250, 'g']]);
  assert.deepEqual(q('充电宝 5000mAh 10000毫安 65W 快充'), [[5000, 'mah'], [10000, 'mah'], [65, 'w']]);
  assert.deepEqual(q('120Hz 3.2GHz 15.6" 15.6 inch 55英寸 65寸'), [[120, 'hz'], [3.2, 'ghz'], [15.6, 'inch'], [55, 'inch'], [65, 'inch']]);
  assert.deepEqual(q('10cm 10厘米 5mm 5毫米 1.5米'), [[10, 'cm'], [5, 'mm'], [1.5, 'm']]);
  assert.deepEqual(q('375-watt inverter, 1,000 watts'), [[375, 'w'], [1000, 'w']]);
  assert.deepEqual(q('APC 1000VA UPS, 2.5in drive'), [[1000, 'va'], [2.5, 'inch']]);
  assert.deepEqual(q('笔记本电脑 16G 1T固态'), [[16, 'gb'], [1, 'tb']]);
  assert.deepEqual(q('Toddler T-Shirt 2T'), []);
  assert.deepEqual(q('Nikon 18-200mm zoom lens'), [[18, 'mm'], [200, 'mm']]);
  // 5G is the network, 128G is storage, 3个月 is three months (not three pieces), 2020年 is a year.
  assert.deepEqual(q('华为5G手机 8G+128G 保修3个月 2020年'), [[8, 'gb'], [128, 'gb'], [3, 'month']]);
  assert.deepEqual(q('EMC SecurID 12mo subscription, 3-year warranty'), [[12, 'month'], [3, 'year']]);
});

test('quantity tokens are the same for every spelling', () => {
  const a = analyzer.tokenize('牛奶 250毫升 x 24');
  const b = analyzer.tokenize('milk 250 ML x 24');
  assert.ok(a.includes('250ml') && b.includes('250ml'));
  assert.ok(analyzer.tokenize('1200万像素').includes('12mp'));
  assert.deepEqual(analyzer.analyze('2x500ml').quantities.map((x) => [x.value, x.unit]), [[500, 'ml'], [2, 'pack']]);
});

test('extracts clothing and shoe sizes', () => {
  const s = (text: string) => analyzer.analyze(text).sizes;
  assert.deepEqual(s('Men T-Shirt Size XL'), ['XL']);
  assert.deepEqual(s('连衣裙 S M L XXL 3XL'), ['S', 'M', 'L', '2XL', '3XL']);
  assert.deepEqual(s('大码女装 s-4xl'), ['S', '4XL']);
  assert.deepEqual(s('运动鞋 42码'), ['42']);
  assert.deepEqual(s('运动鞋 42 码'), ['42']);
  assert.deepEqual(s('帆布鞋 35-40码'), ['35', '40']);
  assert.deepEqual(s('宽松T恤 均码'), ['FREE']);
  // The l of 1.5l and the m of 5m are units, the s of men's is a possessive: no sizes.
  assert.deepEqual(s("1.5L bottle, 5 m cable, men's shoes"), []);
  assert.ok(analyzer.tokenize('xxl').includes('2xl'));
});

test('empty and punctuation-only text give empty results', () => {
  for (const text of ['', '   ', '【】！!—…', '\u3000']) {
    const { normalized, ...rest } = analyzer.analyze(text);
    assert.deepEqual(rest, { tokens: [], modelNumbers: [], quantities: [], sizes: [] }, JSON.stringify(text));
  }
  assert.equal(analyzer.analyze('\u3000 ').normalized, '');
});

test('rejects unknown options', () => {
  assert.throws(() => createTextAnalyzer({ stopWords: false } as never), /unknown option/);
});

test('user words are segmented whole', () => {
  const custom = createTextAnalyzer({ userWords: ['极光紫'] });
  assert.ok(custom.tokenize('极光紫手机壳').includes('极光紫'));
});

test('wordParts cuts a Chinese word into its dictionary words, longest first, in reading order', () => {
  const analyzer = createTextAnalyzer();
  // 蓝牙耳机 is one token (the e-commerce dictionary holds it) but two words for coverage and vectors.
  assert.deepEqual(analyzer.tokenize('蓝牙耳机'), ['蓝牙耳机']);
  assert.deepEqual(analyzer.wordParts('蓝牙耳机'), ['蓝牙', '耳机']);
  assert.deepEqual(analyzer.wordParts('大落地窗'), ['大', '落地窗']);
  assert.deepEqual(analyzer.wordParts('耳机'), ['耳机']);
});

test('a comma between words separates them: the code of CHAIN,CN-HG601-11,QL is found', () => {
  const r = analyzer.analyze('Shimano CHAIN,CN-HG601-11,QL 116L');
  assert.deepEqual(r.modelNumbers, ['cnhg60111']);
  assert.deepEqual(r.tokens, ['shimano', 'chain', 'cnhg60111', 'ql', '116l']);
  assert.deepEqual(analyzer.analyze('Epson T1281,T1282 ink').modelNumbers, ['t1281', 't1282']);
  // Between two digits a comma still joins: thousands and decimal commas.
  assert.deepEqual(analyzer.tokenize('BTUs 10,000 burner'), ['btus', '10000', 'burner']);
});

test('a x b with a length unit is a dimension, not a pack: 210x297mm is 210 mm by 297 mm', () => {
  const q = (text: string) => analyzer.analyze(text).quantities.map((x) => [x.value, x.unit]);
  assert.deepEqual(q('Paper A4 210x297mm'), [[210, 'mm'], [297, 'mm']]);
  assert.deepEqual(q('Photo paper 13x18cm'), [[13, 'cm'], [18, 'cm']]);
  assert.ok(analyzer.tokenize('Paper A4 210x297mm').includes('210x297mm'), 'the dimension stays one token');
  // Other units after a count are still packs of that quantity.
  assert.deepEqual(q('2x500ml'), [[500, 'ml'], [2, 'pack']]);
});

test('French byte units: 8 Go is 8 GB, 2 To is 2 TB, 256 Mo is 256 MB; English to and months stay', () => {
  const q = (text: string) => analyzer.analyze(text).quantities.map((x) => [x.value, x.unit]);
  assert.deepEqual(q('Clé USB 8 Go, carte 128Go'), [[8, 'gb'], [128, 'gb']]);
  assert.deepEqual(q('Disque dur 2 To - Noir, 1To'), [[2, 'tb'], [1, 'tb']]);
  assert.deepEqual(q('7200 tpm - 256 Mo de cache, 64Mo'), [[256, 'mb'], [64, 'mb']]);
  assert.deepEqual(analyzer.analyze('SanDisk 16Go').modelNumbers, [], '16Go is a size, not a model number');
  // "to" followed by a word or number is the English word; 12 mo is twelve months.
  assert.deepEqual(q('from 1 to 16 bays, USB 3 to USB-C, f/2.8 to f/11, $100 to $500, +25 to -15 s/day'), []);
  assert.deepEqual(q('EMC SecurID 12 mo subscription'), [[12, 'month']]);
});

test('DDR4-3000 is memory generation ddr4 at 3000 MHz, however the speed is written', () => {
  for (const speed of ['DDR4-3000', 'DDR4 3000MHz', 'DDR4 3000', 'DDR43000']) {
    const r = analyzer.analyze(`Kingston 8GB ${speed} CL16`);
    assert.deepEqual(r.quantities.map((x) => [x.value, x.unit]), [[8, 'gb'], [3000, 'mhz']], speed);
    assert.deepEqual(r.tokens, ['kingston', '8gb', 'ddr4', '3000mhz', 'cl16'], speed);
    assert.deepEqual(r.modelNumbers, [], speed);
  }
  assert.deepEqual(analyzer.analyze('Crucial 4GB DDR3L-1600 SODIMM').quantities.map((x) => [x.value, x.unit]), [[4, 'gb'], [1600, 'mhz']]);
  // A number after a DDR word that is no speed stays a number: 2 x 8GB kits.
  assert.deepEqual(analyzer.tokenize('DDR4 2 x 8GB'), ['ddr4', '2', 'x', '8gb']);
});
