/**
 * Dimensions whose values exclude each other: a product is a phone or a laptop, over-ear or in-ear
 * headphones, for men or for women. Two products (or two tags) with different values of one
 * dimension are different things however alike their words are; this is the negative evidence a
 * similarity learned from co-occurrence (GloVe, catalog vectors) cannot give, because 头戴式 and
 * 入耳式 occur in the same contexts.
 *
 * Each value lists its surface forms in Chinese and English (matched after NFKC and case folding).
 * `priority` orders values within a dimension when a text names several: an accessory's title names
 * the device it fits (`手机壳 适用 iPhone 15`), so the accessory wins over the device.
 */

export type DistinctionKind = 'type' | 'variant';

export interface ExclusiveValue {
  readonly value: string;
  readonly terms: readonly string[];
  /** Higher wins when one text names values of different priority (accessories over devices). */
  readonly priority?: number;
  /** A broader value this one is a kind of (a laptop is a computer): the two never conflict. */
  readonly within?: string;
  /**
   * Values this one is used with (a case with a phone): different things, but a complement of each
   * other rather than unrelated (the ESCI scheme's "complement"; `usedWithValues`).
   */
  readonly usedWith?: readonly string[];
}

export interface ExclusiveDimension {
  readonly name: string;
  /** `type`: what kind of product it is; `variant`: which version of one kind. */
  readonly kind: DistinctionKind;
  readonly values: readonly ExclusiveValue[];
}

/** Accessories name the device they fit; their own type wins. */
const ACCESSORY = 2;

export const EXCLUSIVE_DIMENSIONS: readonly ExclusiveDimension[] = Object.freeze([
  {
    name: 'productType',
    kind: 'type',
    values: [
      { value: 'phone', terms: ['手机', '智能手机', 'smartphone', 'smart phone', 'mobile phone', 'cell phone', 'cellphone', 'iphone'] },
      { value: 'tablet', terms: ['平板电脑', '平板', 'tablet', 'ipad'] },
      { value: 'computer', terms: ['电脑', '计算机', 'computer'] },
      { value: 'laptop', within: 'computer', terms: ['笔记本电脑', '笔记本', '游戏本', '轻薄本', 'laptop', 'notebook', 'macbook', 'matebook', 'thinkpad', 'chromebook'] },
      { value: 'desktop', within: 'computer', terms: ['台式机', '台式电脑', 'desktop computer', 'desktop pc'] },
      { value: 'monitor', terms: ['显示器', 'monitor'] },
      { value: 'headphones', terms: ['耳机', '耳麦', 'headphones', 'headphone', 'headset', 'earphones', 'earphone', 'earbuds', 'earbud', 'airpods', 'freebuds', 'galaxy buds'] },
      { value: 'speaker', terms: ['音箱', '音响', 'speaker', 'soundbar'] },
      { value: 'watch', terms: ['智能手表', '手表', 'smartwatch', 'watch'] },
      { value: 'fitnessBand', terms: ['手环', 'fitness band', 'fitness tracker'] },
      { value: 'camera', terms: ['相机', '摄像机', '单反', '微单', '卡片机', 'camera', 'camcorder'] },
      { value: 'tv', terms: ['电视机', '电视', 'television', 'tv'] },
      { value: 'case', priority: ACCESSORY, usedWith: ['phone', 'tablet'], terms: ['手机壳', '保护壳', '保护套', '手机套', 'phone case', 'case', 'cover case'] },
      { value: 'screenProtector', priority: ACCESSORY, usedWith: ['phone', 'tablet', 'watch', 'laptop', 'monitor'], terms: ['钢化膜', '贴膜', '保护膜', '手机膜', '屏幕膜', 'screen protector', 'tempered glass'] },
      { value: 'charger', priority: ACCESSORY, usedWith: ['phone', 'tablet', 'laptop', 'watch', 'headphones', 'camera', 'powerBank'], terms: ['充电器', '充电头', '电源适配器', 'charger', 'power adapter', 'wall adapter'] },
      { value: 'powerBank', priority: ACCESSORY, usedWith: ['phone', 'tablet', 'headphones', 'watch', 'laptop'], terms: ['充电宝', '移动电源', 'power bank', 'powerbank', 'portable charger'] },
      { value: 'cable', priority: ACCESSORY, usedWith: ['phone', 'tablet', 'laptop', 'monitor', 'headphones', 'camera', 'charger', 'powerBank'], terms: ['数据线', '充电线', 'cable'] },
      { value: 'strap', priority: ACCESSORY, usedWith: ['watch', 'fitnessBand'], terms: ['表带', 'watch band', 'strap'] },
      { value: 'clothing', terms: ['衣服', '服装', '服饰', 'clothes', 'clothing', 'apparel'] },
      { value: 'dress', within: 'clothing', terms: ['连衣裙', 'dress'] },
      { value: 'skirt', within: 'clothing', terms: ['半身裙', 'skirt'] },
      { value: 'top', within: 'clothing', terms: ['t恤', '衬衫', '卫衣', '毛衣', '针织衫', 't-shirt', 'tee', 'shirt', 'hoodie', 'sweater', 'sweatshirt'] },
      { value: 'outerwear', within: 'clothing', terms: ['羽绒服', '外套', '夹克', '大衣', '风衣', 'down jacket', 'jacket', 'coat', 'parka'] },
      { value: 'trousers', within: 'clothing', terms: ['牛仔裤', '裤子', '长裤', '短裤', '休闲裤', 'jeans', 'pants', 'trousers', 'shorts'] },
      { value: 'shoes', terms: ['运动鞋', '跑步鞋', '篮球鞋', '板鞋', '跑鞋', '皮鞋', '鞋子', 'shoes', 'shoe', 'sneakers', 'sneaker', 'trainers', 'boots'] },
      { value: 'beddingSet', usedWith: ['duvet', 'pillow'], terms: ['四件套', '三件套', '床单', '被套', 'bedding set', 'bed sheet', 'sheet set', 'duvet cover'] },
      { value: 'duvet', usedWith: ['beddingSet', 'pillow'], terms: ['蚕丝被', '羽绒被', '被芯', '被子', '春秋被', 'duvet', 'quilt', 'comforter'] },
      { value: 'pillow', usedWith: ['beddingSet', 'duvet'], terms: ['枕头', '枕芯', '羽绒枕', 'pillow'] },
      { value: 'bottle', terms: ['保温杯', '水杯', '杯子', '保温壶', 'insulated bottle', 'water bottle', 'tumbler', 'mug', 'bottle', 'cup'] },
      { value: 'riceCooker', terms: ['电饭煲', '电饭锅', 'rice cooker'] },
      { value: 'cooktop', terms: ['电磁炉', 'induction cooktop', 'cooktop', 'induction cooker'] },
      { value: 'soymilkMaker', terms: ['豆浆机', '破壁机', 'soymilk maker', 'blender'] },
      { value: 'airFryer', terms: ['空气炸锅', 'air fryer'] },
      { value: 'kettle', terms: ['电水壶', '烧水壶', '热水壶', 'electric kettle', 'kettle'] },
      { value: 'wok', terms: ['炒锅', '炒菜锅', '平底锅', '煎锅', 'wok', 'frying pan', 'skillet'] },
      { value: 'vacuumCleaner', terms: ['吸尘器', '扫地机器人', 'vacuum cleaner', 'robot vacuum'] },
    ],
  },
  {
    name: 'wearingStyle',
    kind: 'variant',
    values: [
      { value: 'overEar', terms: ['头戴式', '头戴', '包耳式', 'over-ear', 'over ear', 'on-ear', 'on ear'] },
      { value: 'inEar', terms: ['入耳式', '入耳', '真无线', '耳塞', 'in-ear', 'in ear', 'true wireless', 'earbuds', 'earbud'] },
      { value: 'semiInEar', terms: ['半入耳式', '半入耳'] },
      { value: 'openEar', terms: ['开放式', '挂耳式', '骨传导', 'open-ear', 'open ear', 'bone conduction'] },
      { value: 'neckband', terms: ['颈挂式', '挂脖', 'neckband'] },
    ],
  },
  {
    name: 'bundle',
    kind: 'variant',
    values: [
      { value: 'bodyOnly', terms: ['单机身', '仅机身', 'body only'] },
      { value: 'kit', terms: ['套机', '镜头套装', 'kit', 'with lens'] },
    ],
  },
  {
    name: 'gender',
    kind: 'variant',
    values: [
      { value: 'men', terms: ['男款', '男士', '男式', '男子', '男装', '男鞋', '男', "men's", 'mens', 'men', 'man'] },
      { value: 'women', terms: ['女款', '女士', '女式', '女子', '女装', '女鞋', '女', "women's", 'womens', 'women', 'woman', 'ladies'] },
      { value: 'kids', terms: ['儿童', '童装', '童鞋', '宝宝', "kids'", 'kids', 'children', 'toddler'] },
      { value: 'unisex', terms: ['男女同款', '情侣款', '中性', 'unisex'] },
    ],
  },
  {
    name: 'operatingSystem',
    kind: 'variant',
    values: [
      { value: 'android', terms: ['安卓', 'android'] },
      { value: 'ios', terms: ['ios', '苹果系统'] },
      { value: 'harmonyos', terms: ['鸿蒙', 'harmonyos'] },
      { value: 'windows', terms: ['windows'] },
      { value: 'macos', terms: ['macos'] },
    ],
  },
  {
    name: 'screenSize',
    kind: 'variant',
    values: [
      { value: 'large', terms: ['大屏', 'large screen', 'big screen'] },
      { value: 'small', terms: ['小屏', 'compact screen', 'small screen'] },
    ],
  },
  {
    name: 'season',
    kind: 'variant',
    values: [
      { value: 'summer', terms: ['夏季', '夏款', '夏装', '夏天', 'summer'] },
      { value: 'winter', terms: ['冬季', '冬款', '冬装', '冬天', 'winter'] },
      { value: 'springAutumn', terms: ['春秋', '春秋款', '春装', '秋装', '春季', '秋季', 'autumn'] },
    ],
  },
  {
    name: 'useScenario',
    kind: 'variant',
    values: [
      { value: 'office', terms: ['办公', '商务', 'office', 'business'] },
      { value: 'home', terms: ['家用', '家庭', 'home use', 'household'] },
      { value: 'gaming', terms: ['游戏', '电竞', 'gaming'] },
      { value: 'outdoor', terms: ['户外', 'outdoor'] },
      { value: 'sport', terms: ['运动', 'sport', 'sports'] },
      { value: 'travel', terms: ['旅行', '出差', 'travel'] },
    ],
  },
  {
    name: 'style',
    kind: 'variant',
    values: [
      { value: 'retro', terms: ['复古', 'retro', 'vintage'] },
      { value: 'minimal', terms: ['简约', '极简', 'minimalist', 'minimal'] },
      { value: 'cute', terms: ['可爱', 'cute'] },
      { value: 'luxury', terms: ['奢华', '轻奢', 'luxury'] },
    ],
  },
]);

const USED_WITH: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const out = new Map<string, Set<string>>();
  const add = (a: string, b: string) => {
    let set = out.get(a);
    if (!set) out.set(a, (set = new Set()));
    set.add(b);
  };
  for (const dimension of EXCLUSIVE_DIMENSIONS) {
    for (const v of dimension.values) {
      for (const other of v.usedWith ?? []) {
        add(v.value, other);
        add(other, v.value);
      }
    }
  }
  return out;
})();

/**
 * Whether two values are used together (either lists the other in `usedWith`): a phone case and a
 * phone, a charger and a laptop. The relation is symmetric.
 */
export function usedWithValues(a: string, b: string): boolean {
  return USED_WITH.get(a)?.has(b) ?? false;
}

/**
 * Product lines that name their brand (an `iPhone` tag is about Apple), for short texts such as
 * tags; the brand alias table keeps brand names only, as lexical comparison folds its forms.
 */
export const BRAND_PRODUCT_LINES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  apple: ['iphone', 'ipad', 'macbook', 'imac', 'airpods'],
  samsung: ['galaxy'],
  huawei: ['matebook', 'freebuds'],
});

/**
 * Model-line words (`iPhone 15 Pro`, `MacBook Air`). Unlike the dimensions above, leaving one out is
 * a value too: `iPhone 15` is not `iPhone 15 Pro`. See `modelLineConflict` in distinctions.ts.
 */
export const MODEL_LINE_WORDS: readonly string[] = Object.freeze(['pro', 'air', 'max', 'plus', 'mini', 'ultra', 'lite', 'se', 'fe', 'neo']);
