import { isSecurityIncident } from '../tickets/priority';

export const CATEGORIES = [
  'security',
  'deposit-withdrawal',
  'kyc',
  'trading',
  'p2p',
  'account-access',
  'fees',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const CATEGORIZED_PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type CategorizedPriority = (typeof CATEGORIZED_PRIORITIES)[number];

export interface Categorization {
  category: Category;
  priority: CategorizedPriority;
  /** Names of the rules that decided, for staff to see why a ticket landed where it did. */
  reasons: string[];
}

/**
 * The decision needs the opening lines, not a pasted log or a quoted thread. Every pattern's gaps are bounded
 * (`{0,60}` at most) and none nests a quantifier, so a scan stays linear in what it reads.
 */
export const CATEGORIZE_SCAN_CHARS = 20_000;
/** RFC 5322 allows 998 characters on a header line, and no more is stored. */
export const CATEGORIZE_SCAN_SUBJECT_CHARS = 998;

interface Rule {
  name: string;
  pattern: RegExp;
}

/**
 * Signs that someone other than the customer acted on the account. The shared security patterns catch the
 * plain words (hacked, stolen, frozen, lost 2FA); these catch what a plain "password reset" message lacks.
 */
const COMPROMISE_RULES: readonly Rule[] = [
  {
    name: 'someone-else-acted',
    pattern:
      /\b(someone|somebody|a stranger|a third party|hackers?|not me)\b[^.\n]{0,60}\b(changed|reset|logged|log in|signed in|accessed|withdr[ae]w|bought|sold|placed|opened|transferred)\b/i,
  },
  {
    name: 'customer-did-not-act',
    pattern:
      /\b(i|we)\s(did ?n[o']?t|didn't|never|have not|haven't)\s(request|change|reset|authori[sz]e|place|open|initiate|log ?in|sign ?in|approve)/i,
  },
  {
    name: 'disowned',
    pattern: /\b(it )?(wasn'?t|was not|is not|isn'?t) me\b|\bwithout my (permission|consent|knowledge)\b|\b(drained|emptied|identity theft)\b|\bknow nothing about\b|\b(strange|unknown|unrecogni[sz]ed) (orders|trades|withdrawals|transactions|transfers)\b/i,
  },
  {
    name: 'social-engineering',
    pattern:
      /\b(gave|told|shared)\b[^.\n]{0,20}\b(2fa|otp|sms code|verification code|seed phrase|password|private key)\b|\basked (me )?for my (2fa|otp|verification code|sms code|password|seed phrase|private key)\b/i,
  },
  {
    name: 'sim-swap',
    pattern:
      /\bsim[- ]?swap(ped|ping)?\b|\bsim( card)?\b[^.\n]{0,30}\b(hijack(ed)?|swapped|ported|cloned|deactivated|transferred)\b|\bported out\b/i,
  },
  {
    name: 'phishing',
    pattern:
      /\bfake (website|site|email|e-mail|app|support|domain|link|customer service)\b|\bimpersonat(e|es|ed|ing|ion)\b|\bscam (email|e-mail|site|link|website)\b/i,
  },
  {
    name: 'unrecognised-login',
    pattern: /\b(unknown|unrecogni[sz]ed|suspicious|strange) (device|ip|location|login|log-in|sign-in|activity)\b/i,
  },
  {
    name: 'leaked-credentials',
    pattern: /\b(api keys?|seed phrase|private key)\b[^.\n]{0,40}\b(leaked|exposed|stolen|shared)\b/i,
  },
  { name: 'phishing-zh', pattern: /钓鱼|假冒|冒充|仿冒|假网站|假客服/ },
  { name: 'sim-swap-zh', pattern: /SIM ?卡?.{0,8}(被|盗|劫持|转移)|补卡/i },
  { name: 'unrecognised-login-zh', pattern: /异地登录|陌生设备|异常登录|陌生IP/i },
  {
    name: 'someone-else-acted-zh',
    pattern: /密码被人?(改|修改|重置)|被人(修改|重置|改了|登录|登陆|提走|转走|交易|下单|买入|卖出)|(资产|资金|钱|币).{0,6}(不翼而飞|被转走|被提走)/,
  },
  {
    name: 'customer-did-not-act-zh',
    pattern:
      /不是我本?人?(操作|修改|登录|登陆|提的|下的|交易)|我(没有|没|并未|从未)(进行|做过|操作过|申请过?|发起过?)?(任何)?(操作|修改|登录|登陆|提现|提币|下单|交易|重置)|我什么都没(做|操作|动)|完全不知情|我不知情|陌生(订单|交易|提现|提币|记录|转账)/,
  },
  {
    name: 'social-engineering-zh',
    pattern: /(验证码|密码|助记词|私钥).{0,4}(给了|告诉了?)(他|她|对方)|(给了|告诉了?)(他|她|对方).{0,6}(验证码|密码|助记词|私钥)/,
  },
];

/** Categories other than security, in the order that breaks a tie between equal scores. */
const CATEGORY_RULES: ReadonlyArray<{ category: Exclude<Category, 'security'>; rules: readonly Rule[] }> = [
  {
    category: 'p2p',
    rules: [
      { name: 'p2p-market', pattern: /\b(p2p|c2c|otc|peer[- ]to[- ]peer)\b/i },
      { name: 'p2p-party', pattern: /\b(merchant|seller|buyer|counterparty|advertiser)\b/i },
      {
        name: 'p2p-settlement',
        pattern:
          /\b(release[sd]?|releasing|appeal(ed)?|marked (it )?as paid|mark as paid|payment proof|proof of payment|chargeback)\b/i,
      },
      { name: 'p2p-payment', pattern: /\b(alipay|wechat pay|bank transfer|paypal|revolut|wise|payment method)\b/i },
      { name: 'p2p-zh', pattern: /P2P|C2C|OTC|商家|卖家|买家|放币|申诉|法币|承兑|已付款|付款截图|支付宝|微信支付|银行卡转账|广告方|对方/i },
    ],
  },
  {
    category: 'kyc',
    rules: [
      {
        name: 'kyc-word',
        pattern: /\b(kyc|identity|verif(y|ied|ication)(?! code)|national id|id verification|verification level)\b/i,
      },
      {
        name: 'kyc-document',
        pattern: /\b(id card|passport|driver'?s licen[cs]e|selfie|liveness|face (scan|recognition|check)|proof of address|utility bill|residence permit)\b/i,
      },
      {
        name: 'kyc-outcome',
        pattern: /\b(verification|documents?|application)\b[^.\n]{0,30}\b(rejected|failed|declined|under review|pending)\b/i,
      },
      { name: 'kyc-zh', pattern: /实名|KYC|证件|身份认证|身份验证|高级认证|初级认证|身份证|护照|驾照|人脸|自拍|活体|地址证明|认证/i },
    ],
  },
  {
    category: 'fees',
    rules: [
      { name: 'fee-word', pattern: /\b(fees?|commission|rebates?|discount|costs?|cheaper|maker|taker|fee rate|fee tier)\b/i },
      { name: 'fee-of-operation', pattern: /\b(withdrawal|deposit|trading|network|gas|transfer|card) fees?\b/i },
      { name: 'fee-charge', pattern: /\b(charged|overcharged|deducted|how much does it cost|vip (level|tier))\b/i },
      { name: 'fee-zh', pattern: /手续费|费率|收费|扣费|返佣|佣金|折扣|VIP ?等级|挂单费|吃单费|矿工费|网络费|多扣|成本/i },
    ],
  },
  {
    category: 'deposit-withdrawal',
    rules: [
      {
        name: 'transfer-word',
        pattern: /\b(deposits?|deposited|withdraw|withdrawals?|withdrawn|withdrawing|withdrew|top[- ]?up|credited)\b/i,
      },
      {
        name: 'chain-detail',
        pattern:
          /\b(tx ?id|txid|tx hash|transaction hash|hash|block explorer|confirmations?|on-?chain|memo|destination tag|wrong (network|chain)|(wallet|deposit|withdrawal) address|bep20|erc20|trc20)\b/i,
      },
      {
        name: 'external-transfer',
        pattern: /\b(sent|transferred|moved)\b[^.\n]{0,40}\bfrom (my )?(metamask|trust wallet|ledger|wallet|another exchange|bank)\b|\b(etherscan|tronscan|bscscan|solscan|explorer)\b/i,
      },
      { name: 'transfer-zh', pattern: /充值|充币|提现|提币|到账|入账|链上|哈希|TXID|区块浏览器|从钱包转|转.{0,6}过来|确认数|备注|标签|转错|钱包地址|充值地址|提币地址|主网|公链/i },
    ],
  },
  {
    category: 'trading',
    rules: [
      { name: 'trade-word', pattern: /\b(trade|trades|trading|orders?|filled|executed|slippage|spot|pairs?)\b/i },
      {
        name: 'derivatives',
        pattern:
          /\b(liquidat(ed|ion)|margin|leverage|futures|contracts?|perpetual|positions?|stop[- ]loss|take[- ]profit|funding rate|mark price|adl|pnl|p&l)\b/i,
      },
      { name: 'market-data', pattern: /\b(candles?|k-?line|chart|price spike|wick|order book|limit order|market order)\b/i },
      {
        name: 'trade-zh',
        pattern: /交易对|合约|爆仓|强平|平仓|开仓|杠杆|保证金|永续|期货|现货|止损|止盈|限价|市价|委托|挂单|成交|滑点|插针|K线|仓位|持仓|标记价格|资金费率|下单|买入|卖出/i,
      },
    ],
  },
  {
    category: 'account-access',
    rules: [
      {
        name: 'login',
        pattern: /\b(log ?in|logging in|logged (in|out)|stay logged|session (has )?expired|can'?t get in|cannot get in|let me in|get into my account|log-in|sign ?in|signing in|locked out|can'?t access|cannot access|unable to access|access my account)\b/i,
      },
      { name: 'credentials', pattern: /\b(password|passcode|forgot|reset link|verification code|sms code|email code|otp|captcha)\b/i },
      {
        name: 'contact-change',
        pattern: /\b(change|update|unbind|replace)\b[^.\n]{0,20}\b(phone number|mobile number|email address|registered email)\b/i,
      },
      { name: 'access-zh', pattern: /登录|登陆|密码|验证码|进不去|会话过期|保持登录|无法进入|打不开账户|忘记|找回|换绑|更换(手机|邮箱)|绑定(手机|邮箱)|注销/i },
    ],
  },
  {
    category: 'other',
    rules: [
      {
        name: 'business',
        pattern:
          /\b(partnership|partner|cooperation|collaborat(e|ion)|listing|list (our|my) (token|coin|project)|media|press|interview|sponsor(ship)?|affiliate|ambassador|marketing|business development|conference|summit|event|charity|donation)\b/i,
      },
      { name: 'feedback', pattern: /\b(feedback|suggestions?|suggest|feature request|would be nice|careers?|job|hiring|compliment)\b/i },
      { name: 'other-zh', pattern: /合作|上币|媒体|采访|赞助|建议|反馈|意见|招聘|商务|推广|大使|代理|表扬|体验|会议|大会|邀请|演讲|公益|慈善|活动/i },
    ],
  },
];

const MONEY_STUCK_RULES: readonly Rule[] = [
  {
    name: 'money-not-arrived',
    pattern:
      /\b(not (yet )?(been )?(credited|received|arrived|reflected|showing|released)|has ?n[o']?t (been )?(credited|arrived|released)|hasn't (been )?(credited|arrived|released)|haven't (received|got)|have not (received|got)|did ?n[o']?t (receive|get)|didn't (receive|get)|never (arrived|received|released)|did ?n[o']?t release|didn't release|won'?t release|still (pending|processing|under review)|stuck|on hold|missing|disappeared|pending for|still nothing|still (zero|0)|balance (is )?(still )?(zero|0))\b/i,
  },
  { name: 'wrong-destination', pattern: /\b(wrong (network|chain|address|memo|tag)|without (a |the )?(memo|tag)|forgot (the )?(memo|tag))\b/i },
  {
    name: 'money-not-arrived-zh',
    pattern: /未到账|没到账|没有到账|还没到|不到账|一直.{0,6}(处理中|审核中|待处理|卡)|卡住|卡在|丢失|不见了|少了|没收到|未收到|没有收到|未放币|不放币|没放币|没有放币|转错|漏填|忘记填|没填|余额还是0|余额没变|余额没有变化|不回消息/i,
  },
];

const LARGE_AMOUNT_RULES: readonly Rule[] = [
  {
    name: 'large-amount',
    pattern: /(\b\d{5,}|\b\d{1,3}(,\d{3})+)(\.\d+)?\s?(usdt|usdc|usd|dollars|eur|cny|rmb|元)|\$\s?(\d{5,}|\d{1,3}(,\d{3})+)|\d+(\.\d+)?\s?万|[一二三四五六七八九十几]+万/i,
  },
];

const GENERAL_QUESTION: Rule = {
  name: 'general-question',
  pattern: /\b(how (do|can|long|much) (i|we|it)|what (is|are) the|is it possible|do you (support|offer|have)|when will you|can i)\b|请问|如何|怎么|怎样|是否支持|能否|有没有/i,
};

const TROUBLE: Rule = {
  name: 'trouble',
  pattern: /\b(error|fail(ed|s|ure)?|rejected|problem|issue|can'?t|cannot|unable|not working|wrong|urgent|asap|lost)\b|失败|无法|不能|被拒|问题|错误|异常|紧急|急/i,
};

/** Category and priority of a customer message from its subject and visible text, in Chinese or English. */
export function categorize(subject: string, text: string): Categorization {
  const boundedSubject = subject.slice(0, CATEGORIZE_SCAN_SUBJECT_CHARS);
  const boundedText = text.slice(0, CATEGORIZE_SCAN_CHARS);
  const sample = `${boundedSubject}\n${boundedText}`;

  const compromise = COMPROMISE_RULES.filter((rule) => rule.pattern.test(sample)).map((rule) => rule.name);
  if (isSecurityIncident(boundedSubject, boundedText)) compromise.unshift('security-incident');
  if (compromise.length > 0) {
    return { category: 'security', priority: 'urgent', reasons: compromise.map((name) => `security:${name}`) };
  }

  const { category, matched } = bestCategory(boundedSubject, boundedText);
  const reasons = matched.map((name) => `${category}:${name}`);
  const stuck = matchedNames(MONEY_STUCK_RULES, sample);
  const large = matchedNames(LARGE_AMOUNT_RULES, sample);

  if (category === 'fees' || category === 'other') return { category, priority: 'low', reasons: [...reasons, 'low:general'] };
  if ((stuck.length > 0 && category !== 'account-access' && category !== 'kyc') || large.length > 0) {
    return { category, priority: 'high', reasons: [...reasons, ...[...stuck, ...large].map((name) => `high:${name}`)] };
  }
  if (GENERAL_QUESTION.pattern.test(sample) && !TROUBLE.pattern.test(sample)) {
    return { category, priority: 'low', reasons: [...reasons, `low:${GENERAL_QUESTION.name}`] };
  }
  return { category, priority: 'normal', reasons };
}

/** A rule matched in the subject counts twice: the customer chose those words to name the problem. */
function bestCategory(subject: string, text: string): { category: Exclude<Category, 'security'>; matched: string[] } {
  let best: { category: Exclude<Category, 'security'>; matched: string[]; score: number } = {
    category: 'other',
    matched: [],
    score: 0,
  };
  for (const { category, rules } of CATEGORY_RULES) {
    let score = 0;
    const matched: string[] = [];
    for (const rule of rules) {
      const inSubject = rule.pattern.test(subject);
      const inText = rule.pattern.test(text);
      if (inSubject || inText) matched.push(rule.name);
      score += (inSubject ? 2 : 0) + (inText ? 1 : 0);
    }
    if (score > best.score) best = { category, matched, score };
  }
  return { category: best.category, matched: best.matched };
}

function matchedNames(rules: readonly Rule[], sample: string): string[] {
  return rules.filter((rule) => rule.pattern.test(sample)).map((rule) => rule.name);
}
