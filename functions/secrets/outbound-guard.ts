/**
 * The outbound guard: whether a staff member's answer may go to a customer. An exchange's support never needs
 * a customer's password, recovery phrase, private key or one-time code, never needs to see their screen, and
 * never asks them to send funds "to verify" anything: a reply that asks for any of these is what an
 * impostor, a phished staff account or an insider would write, so it is stopped. A crypto address in a reply
 * goes out only when it is one of the exchange's published deposit addresses, because a changed address is
 * the classic insider and account-takeover fraud. Pure: no I/O, no clock.
 *
 * How a request is told from a warning (the rules, in the order they apply to each clause):
 * 1. The text is normalised (NFKC, so full-width letters and punctuation read as ASCII; zero-width characters
 *    removed; lower case) and cut into clauses at sentence ends (. ! ? 。 ; and line breaks) and at "but",
 *    "however", 但是, 不过: a warning and a request joined by "but" are judged apart. A line ending in a colon
 *    and the list under it are one clause ("reply with:\n1) your password").
 * 2. A clause names a secret (a cue: "seed phrase", 助记词, "private key", 私钥, "password", 密码, "2FA code",
 *    验证码, "the code you received", …), also by a description where the name is avoided ("the words you
 *    wrote down", "the screen that shows your words", "the 6 digits", "the code we send you", "the code
 *    currently displayed in your authenticator", "Google Authenticator 的 code", "a screenshot of your
 *    Google Authenticator app", "the SMS you receive from us", "the numbers you receive", 收到的数字), in pinyin
 *    (zhujici, mima, yanzhengma) or misspelt past a filter ("seed pharse", 蜜码). A clause whose own cues are none borrows the previous clause's when
 *    a hand-over's object refers back to it ("send it", "once we have it", "reply with that number", 把它):
 *    "The last step is the recovery phrase. Once we have it, …"; "If it wasn't you, tell us" refers to nothing.
 * 3. It asks for it when it holds a directive aimed at the customer (a trigger) that is not negated and whose
 *    object the secret is: named within 80 characters after it with no "when", "if", "before"… between
 *    ("tell us the error you see when entering your password" asks for no password), within 30 characters
 *    before a Chinese one (把私钥发给我们, 助记词是什么), or before it and taken up by "it" ("forward it"):
 *    - hand-over triggers always ask: send, share, provide, give, tell, reply with, forward, read out, read …
 *      back, let us know, what is your, what password, we need / we require, once we have, unless you, 提供,
 *      发给, 告诉, 回复, 是什么, 我们需要…, and in pinyin (fa gei, gao su, ti gong, with the object before them
 *      as in Chinese); a trigger inside the secret's own name ("the code we send") is not one;
 *    - placement triggers (enter, type, input, paste, confirm, 输入, 填写…) ask for a recovery phrase or private
 *      key wherever they point, since nothing legitimate takes one; for a password or one-time code they ask
 *      only when they point at the reply ("here", "in your reply", 回复) or at a link or page outside the
 *      product. "Enter the code from your authenticator in the app" is how every login works and goes out;
 *      "write the code here in your reply" does not. Without either hint a placement trigger is taken as
 *      product instructions (the customer types into the app, not to us), and that is the guard's chosen
 *      risk: it favours letting ordinary instructions through over blocking on a guess. "Copy" is a placement
 *      only into the reply or a page outside, for every secret: "copy your phrase to a safe place" is advice.
 *    - a form: two or more short lines in a row that each end in a colon with nothing after ("Full name:",
 *      "Seed words (in order):") ask for what each field names;
 *    - an outside page that asks by itself ("It will ask for your login password") asks for the reply, once
 *      the reply has sent the customer to a link in that clause or the one before (not a "new password").
 * 4. A trigger is negated when a negation governs it: a strong one anywhere before it in the clause (never,
 *    under no circumstances, no one, 绝不, 从不, 切勿), or a weak one close before it without a comma between
 *    (do not, don't, will not, cannot, 不要, 请勿, 不会, 无需 — at most six words / twenty characters). "Unless",
 *    "until", "without", 除非 between them end the negation: "we cannot unlock it unless you provide the code"
 *    asks. A trigger in reported speech is not a directive either: a third party followed by a reporting verb
 *    before it ("anyone asking you to send your seed phrase is a scammer", 任何要求您提供助记词的人), or
 *    "claiming to be / pretending to be / 自称 / 冒充". English progressive and passive forms ("scammers are
 *    sending", "was sent") are descriptions, not directives, and so is a Chinese verb after 已, 被 or 可能
 *    (密码可能已泄露: the password may have leaked), and neither is 泄露 after 一旦 (私钥一旦泄露: once the key
 *    leaks). 无论…都不要 negates what the concession holds. Phrases that only look negative are removed first
 *    ("don't worry", "no problem", 不用担心, 不好意思).
 * 5. Remote-desktop tools are blocked by mention (AnyDesk, TeamViewer, RustDesk, Chrome Remote Desktop, Quick
 *    Assist, UltraViewer, 向日葵, ToDesk, remote control / remote desktop / screen sharing, 远程协助/控制/桌面):
 *    support has no reason to name one except to warn, so a clause naming one goes out only when it carries a
 *    negation, reported speech, or "uninstall"/"remove"/卸载. The same access under another name is blocked
 *    too: an install directive ("download our support tool", 安装) and, in that clause or a later one, a
 *    hand-over of a device or session identifier ("the 9-digit ID it shows", 设备码, 识别码). A mention
 *    conceded before a refusal of the same sentence ("a screen share would be quicker, but we don't use
 *    remote-desktop tools") is part of the refusal.
 * 6. A wallet sent to a site: a link or bare domain, a wallet, and a directive to sync, connect, validate,
 *    restore or import it (同步钱包) — the pretext of drainer and seed-phishing sites, which ask for the
 *    phrase only once the customer is there (`wallet-site`). The guard knows no official domain.
 * 6a. A wallet asked to sign or approve (`wallet-approval`): sign a message, approve a token, its spending or a
 *    contract, press "Sign" / "Approve", 签名消息, 授权合约, 无限授权 — with a wallet (or token-approval words)
 *    in that clause or the one before. A signature or an approval drains a wallet without any phrase or key.
 * 7. Sending funds "to verify" needs three things in one clause: a transfer verb that is not negated (send,
 *    transfer, deposit, pay, make a test transaction, 转账, 转入, 充值, 支付), something that is funds (an amount
 *    with a coin, "funds", "a small amount", "a test transaction", a fee, 小额, 保证金), and a verifying purpose
 *    (verify, confirm, activate, unlock, unfreeze, prove, 验证, 激活, 解冻, 测试). "Send us the TXID so we can
 *    verify the deposit" names no funds and goes out.
 * 8. Addresses: every address findCryptoAddresses recognises must be on the deposit list, whatever the words
 *    around it say. To refer to a customer's own address, staff write part of it ("ending in …9f3a"), which no
 *    checksum accepts.
 *
 * Limits: at most MAX_CHECKED_CHARS characters are checked; a longer text is refused whole (`too-long`) rather
 * than sent half-checked (the relay refuses answers over 20,000 characters before the guard runs). Linear
 * time: every regular expression is a fixed alternation or a bounded run without nested quantifiers, each
 * clause is scanned a fixed number of times, and every look-back reads a window of fixed size (the objects of
 * a sign / approve verb, whose pattern repeats a word at most twice, are read on a fixed slice after it; form
 * fields are matched anchored to a line of at most 40 characters before the colon).
 */
import { findCryptoAddresses } from './crypto-addresses';

/** Characters checked; equal to the relay's own cap on an answer (MAX_REPLY_TEXT_CHARS). */
export const MAX_CHECKED_CHARS = 20_000;

export type BlockReason = 'password' | 'recovery-phrase' | 'private-key' | 'one-time-code' | 'remote-access' | 'wallet-site' | 'wallet-approval' | 'send-funds' | 'unlisted-address' | 'too-long';

/** In the order a verdict lists them. */
export const BLOCK_REASONS: readonly BlockReason[] = ['recovery-phrase', 'private-key', 'password', 'one-time-code', 'remote-access', 'wallet-site', 'wallet-approval', 'send-funds', 'unlisted-address', 'too-long'];

export interface BlockFinding {
  reason: BlockReason;
  /** What matched: the words of the cue (normalised), or the address as written. */
  excerpt: string;
}

export type GuardVerdict =
  | { allowed: true }
  | {
      allowed: false;
      /** Each reason once, in BLOCK_REASONS order. */
      reasons: BlockReason[];
      findings: BlockFinding[];
      /** One line naming every reason (and every unlisted address), without the reply's other words. */
      detail: string;
    };

export interface GuardOptions {
  /** Canonical forms (parseDepositAddresses / FoundAddress.canonical) of the published deposit addresses. */
  depositAddresses: ReadonlySet<string>;
}

/** What each reason means, for the staff member who wrote the reply. */
export const BLOCK_REASON_TEXT: Readonly<Record<BlockReason, string>> = {
  'recovery-phrase': 'it asks the customer for their recovery phrase (seed phrase, mnemonic)',
  'private-key': 'it asks the customer for a private key or keystore',
  password: 'it asks the customer for a password',
  'one-time-code': 'it asks the customer for a 2FA, SMS, authenticator or verification code',
  'remote-access': 'it asks the customer for remote access to their device (remote-desktop tools, screen sharing, the ID a "support tool" shows)',
  'wallet-site': 'it sends the customer to a site outside the exchange to sync, connect, validate or restore their wallet',
  'wallet-approval': 'it asks the customer to sign a message or approve a token, contract or request in their wallet',
  'send-funds': 'it asks the customer to send funds to verify, activate or unlock something',
  'unlisted-address': 'it names a crypto address that is not one of the published deposit addresses',
  'too-long': `it is longer than the ${MAX_CHECKED_CHARS.toLocaleString('en')} characters the guard checks`,
};

type SecretReason = 'recovery-phrase' | 'private-key' | 'password' | 'one-time-code';

// ---------------------------------------------------------------------------------------------
// Lexicon. English patterns are written for lower-cased, NFKC-normalised text.

const CUES: ReadonlyArray<[SecretReason, RegExp]> = [
  [
    'recovery-phrase',
    /\b(?:seed|recovery|secret|backup|mnemonic|wallet)[\s-]*(?:phrases?|phase|frase|pharse|phrse|prase|words?)\b|\bmnemonics?\b|\bmnemonik\b|\b(?:your|ur|yr) seed\b(?![\s-]*(?:phrases?|words?))|\bwords (?:that |which )?you (?:wrote|have written|noted|copied|backed up|saved|were given|got)\b|\b(?:shows?|showing|displays?|displaying) (?:you )?(?:your|the) (?:\d{1,2} |twelve |twenty[\s-]*four )?(?:secret |recovery |backup |seed )?words\b|\b(?:12|24|twelve|twenty[\s-]*four)[\s-]*words?\b|\bzhu\s?ji\s?ci\b|助记词|助記詞|助记|助記|恢复短语|恢復短語|种子短语|種子短語|备份短语|備份短語|恢复词/g,
  ],
  ['private-key', /\bprivate[\s-]*keys?\b|\bpriv[\s-]*key\b|\bkeystore\b|\bsecret[\s-]*keys?\b|\bxprv\b|\bwallet[\s-]*keys?\b|\bsiyao\b|私钥|私鑰|钱包密钥|錢包密鑰/g],
  ['password', /\bpass[\s-]?words?\b|\bpasword\b|\bpasswrd\b|\bpasswd\b|\bpwd\b|\bp@ssword\b|\bpasscode\b|\bpin(?:[\s-]*code)?\b|\blogin credentials\b|\bmima\b|密码|密碼|蜜码|蜜碼|密玛|密瑪/g],
  [
    'one-time-code',
    /\b(?:2fa|two[\s-]*factor|2[\s-]*step|mfa|authenticator|google[\s-]*auth|g-?auth)[\s-]*(?:codes?|tokens?|pins?|numbers?|keys?|otp)\b|\botps?\b|\bone[\s-]*time[\s-]*(?:pass[\s-]?(?:word|code)s?|codes?|pins?)\b|\b(?:verification|verify|security|sms|text|confirmation|auth|authentication|access|login|email)[\s-]*codes?\b|\b(?:\d|six|four|eight)[\s-]*digits?[\s-]*codes?\b|\b(?:6|six)[\s-]*(?:digits\b(?! of\b)|digit[\s-]*(?:numbers?|pins?)\b)|\b(?:backup|setup|recovery)[\s-]*keys?\b|\bcodes? (?:that |which )?(?:you|we|i) (?:just |will )?(?:received|receive|got|get|sent|send|emailed|email|texted|text)\b|\bcodes? (?:(?:currently |now |just )?(?:shown|displayed|showing|generated) )?(?:from|in|on) (?:your |the )?(?:phone|email|app|authenticator|google|sms)\b|\b(?:authenticator|2fa|mfa|google|sms|otp)\s?的?\s?codes?\b|(?:谷歌|验证器|驗證器|短信|手机|手機|邮箱|郵箱)的?\s?codes?\b|(?<=(?:screenshots?|screen shots?|photos?|pictures?|images?|snapshots?) of (?:your |the |that )?)(?:google |microsoft )?(?:authenticator|authy)\b|\b(?:sms|text message)(?:es|s)? (?:that |which )?(?:you (?:will |just )?(?:receive|get) from us|we (?:will |just |are about to )?(?:send|text) (?:you|to you))\b|(?<!(?:ticket|order|case|reference|tracking|account|transaction|confirmation|phone) )\b(?:numbers?|digits) (?:that |which )?(?:you (?:will |just )?(?:receive|get|got|received)|we (?:will |just )?(?:send|sent|text))\b|\byan\s?zheng\s?ma\b|\bduan\s?xin\s?ma\b|收到的(?:数字|數字)|验证码|驗證碼|[6六]位数字?|[6六]位數字?|[6六]位码|[6六]位碼|动态码|動態碼|校验码|校驗碼|短信码|安全码|安全碼|动态口令|動態口令|备份密钥|備份密鑰/g,
  ],
];

const REMOTE_ACCESS =
  /\bany[\s-]?desk\b|\bteam[\s-]?viewer\b|\brust[\s-]?desk\b|\bultra[\s-]?viewer\b|\bchrome remote desktop\b|\bquick[\s-]?assist\b|\bsplashtop\b|\blogmein\b|\bsupremo\b|\bzoho assist\b|\bremote[\s-]*(?:access|desktop|control|session|support|assistance)\b|\bremote into\b|\bscreen[\s-]*shar(?:e|ing)\b|\bshare (?:your|the) screen\b|\btake over (?:your|the) (?:screen|computer|pc|device|laptop)\b|向日葵|todesk|远程协助|遠程協助|远程控制|遠程控制|远程桌面|遠程桌面|远程连接|遠程連接|屏幕共享|共享屏幕/g;
const REMOTE_EXEMPT = /\b(?:uninstall|remove|delete)\b|卸载|卸載|删除|刪除/;
/**
 * Remote access under another name: "install our support tool and send us the ID it shows". Installing
 * something is ordinary advice ("update the app"); handing over the session ID it then shows is what lets a
 * stranger onto the customer's screen, so it takes both: an install directive earlier in the reply, then a
 * hand-over whose object is a device or session identifier. A bare "ID" is not one (order ID, user ID).
 */
const INSTALL = /\b(?:install|download|set up)\b|安装|安裝|下载|下載/g;
const DEVICE_ID =
  /\b\d{1,2}[\s-]*digits? id\b|(?<!(?:order|user|account|transaction|tx|ticket|withdrawal|deposit|referral|member|case) )\bid (?:that |which )?(?:it|the (?:app|tool|program|software|window|screen)) (?:shows|displays|gives you|generates)\b|\b(?:device|connection|session|partner|remote) (?:id|code|number)\b|\baddress (?:number|code)\b|识别码|識別碼|设备码|設備碼|设备号|設備號|连接码|連接碼|连接号|連接號|远程码|遠程碼|会话码|會話碼/g;

/**
 * A wallet sent to a site to be synced, connected, validated or restored: the pretext of drainer and
 * seed-phishing sites, which ask for the phrase only once the customer is there. It takes a link or a bare
 * domain in the clause, a wallet, and one of those verbs as a directive (not negated, not reported). Only the
 * base form counts ("sync", not "syncs"), and "verify" does not: "verify the deposit to your wallet on
 * https://etherscan.io/…" is ordinary. The guard knows no official domain, so the exchange's own site named
 * this way is blocked too: that is its chosen risk. In Chinese the verb must come before 钱包 (同步钱包): the
 * other order describes a state (钱包没有同步) rather than asking for anything.
 */
const WALLET = /\bwallets?\b|\bmetamask\b|钱包|錢包/;
const WALLET_ACTION =
  /\b(?:re-?sync|(?<!out of )sync|synchroni[sz]e|validate|revalidate|rectify|connect|restore|import|migrate|claim)\b|(?:同步|连接|連接|导入|導入|修复|修復|绑定|綁定|授权|授權)(?:您的|你的|您|你)?(?:钱包|錢包)/g;
/** A domain written without a scheme; not the end of an e-mail address or a longer host. */
const BARE_DOMAIN = /(?<![@\w.-])[a-z0-9][a-z0-9.-]{0,120}\.(?:com|net|org|io|app|xyz|info|site|online|top|cc|co|me|finance|network|pro|link|cn|vip|live|help|support|dev|tech|club|ai)\b/;

/**
 * A wallet asked to sign or approve: a signed message, a token approval (unlimited "Approve > Max") or a permit
 * hands a drainer the customer's funds without any phrase or key, and an exchange's support never needs one. It
 * takes the verb as a directive with its object close after it (the message, the spending, the contract, the
 * token; in Chinese 消息, 合约, 代币 after the verb, or USDT / 无限 just before it: 把 USDT 授权给, 无限授权), or a
 * button to press ("press Sign"), and a wallet in that clause or the one before: "sign the contract we sent"
 * with no wallet in sight is an OTC agreement. "Sign in", "sign up" and "a sign of" are not the verb, and neither
 * is a verb in quotes (弹出的“签名”请求 names the pop-up).
 */
const APPROVAL_VERB =
  /(?<!\b(?:a|no|any|the|every|some|we|i|we'll|i'll|we will|i will)\s)\b(?:sign|approve|authori[sz]e)\b(?!\s(?:in|up|out|into|on|off)\b)|(?<![“"'「『的])(?:签名|簽名|签署|簽署|授权|授權|批准)/g;
/**
 * The object as the head of the verb's noun phrase, at most two words in ("approve USDT spending", "sign the
 * verification message"): "approve the withdrawal of 500 USDT" confirms a withdrawal and goes out. Read on a
 * fixed slice after the verb, so the bounded repetition costs a constant. One signs a message, not a contract
 * (an OTC agreement is signed too); one approves a contract, a token or its spending.
 */
const SIGN_OBJECT = /^\s(?:the |a |an |this |that |our |my |your |its )?(?:\S+ ){0,2}?(?:message|signature|signing request|permit|typed data)s?\b/;
const APPROVE_OBJECT =
  /^\s(?:the |a |an |this |that |our |my |your |its )?(?:\S+ ){0,2}?(?:spending|spend|allowance|approval|contract|token|usdt|usdc|dai|busd|nft|permit|walletconnect|(?:connection|signature|signing|wallet) request|request (?:that |which )?(?:pops? up|appears?|shows? up))s?\b/;
const APPROVAL_OBJECT_AFTER_ZH = /^[^，,。;；]{0,20}?(?:消息|信息|讯息|訊息|请求|請求|交易|合约|合約|代币|代幣|额度|額度|usdt|usdc|token|permit)/;
const APPROVAL_OBJECT_BEFORE_ZH = /(?:usdt|usdc|代币|代幣|token|无限|無限)[^，,。]{0,8}$/;
const APPROVAL_BUTTON = /\b(?:press|click|tap|hit|select|choose)\s(?:on\s)?(?:the\s)?['"“]?(?:sign|approve)\b|(?:点击|點擊|点|點|按)\s?["“「']?(?:签名|簽名|批准|授权|授權)/g;
/** A wallet in sight, or words that exist only for token approvals (spending, allowance, Approve > Max). */
const APPROVAL_CONTEXT = /\bspending\b|\ballowance\b|\bpermit\b|\bapprove\s?>\s?max\b|无限授权|無限授權|\bwallets?\b|\bmetamask\b|\bwalletconnect\b|\bdapps?\b|\bweb3\b|\bsmart contract\b|钱包|錢包|合约|合約/;

/**
 * A form to fill in: consecutive short lines that each end in a colon with nothing after it ("Full name:" /
 * "Seed words (in order):"). Each blank field is a request for what it names; a single line ending in a colon is
 * a heading ("How to keep your seed phrase safe:") and is read with the list under it instead.
 */
const FORM_FIELD = /^[^:]{1,40}:\s*(?:_{2,}|\.{3,}|\[\s?\])?\s*$/;

/**
 * An outside page that asks by itself: "complete the form at https://…. It will ask for your password". The
 * page's request is the reply's, once the reply has sent the customer there with a link (in that clause or
 * the one before). "It will ask for your new password" is a reset page and goes out.
 */
const SITE_ASKS =
  /\b(?:it|the (?:form|page|site|website|portal|link)|this (?:form|page|site|portal|link))\s(?:will\s|would\s|then\s|also\s|just\s)?(?:asks?|requires?|needs?|prompts?)(?:\syou)?(?:\s(?:for|to (?:enter|provide|fill in|type)))?\b|(?:页面|頁面|表格|表单|表單|网站|網站)(?:会|會|将|將)?(?:要求|需要)(?:您|你)?(?:填写|填寫|输入|輸入|提供)?/g;
const VISIT =
  /\b(?:complete|fill (?:in|out)|open|go to|visit|click|follow|use|head (?:over )?to|log ?in (?:at|on|to)|sign in (?:at|on))\b|点击|點擊|打开|打開|前往|访问|訪問|进入|進入|登录|登錄/g;
const NEW_SECRET = /\bnew\s$|新$/;

/** Hand-over triggers: the customer gives the thing to us. */
const HANDOVER =
  /\b(?:send|share|provide|give|tell|forward|submit|disclose|reveal|furnish|attach|dm|spell)\b|\bhand (?:it |them )?over\b|\bre(?:ply|spond)(?: (?:immediately|now|asap|quickly|promptly|urgently|today|directly|right away|at once))? (?:to (?:this|the|my|our) (?:email|e-mail|message|ticket) )?with\b|\bread (?:it |them )?(?:out|to me|to us|back)\b|\bread\b[^.,;:!?]{1,40}?\b(?:back|aloud|out to)\b|\bwhat (?=(?:login |account |trading |fund |current |exact |email |wallet )?(?:password|passcode|pin)\b(?! manager))|\blet (?:me|us) (?:know|have|see)\b|\bwhat(?:'s| is| are| was) (?:your|the)\b|\b(?:we|i|team|system|department|engineers?|technicians?)(?: will| would|'ll|'d| do| does| also| still| now| really)? (?:need|needs|require|requires|must have)\b|\bonce (?:we|i) (?:have|get|receive)\b|\bunless you\b|\binclude (?:it|them|your|the)\b|\be-?mail (?:it |them )?(?:to )?(?:us|me)\b|\btext (?:it |them )?(?:to )?(?:us|me)\b|\bscreenshot of\b|\bsay (?:it|them|the|your)\b|\bdrop (?:it|them|the|your)\b|\bpost (?:it|them|the|your)\b|\blist (?:the|your|all)\b|\bhave (?:the|your)\b[^.,;]{0,40}\bready\b|\bphoto of\b|\bpicture of\b|提供|发给|發給|发送|發送|发我|發我|发过来|發過來|发来|發來|告诉|告訴|告知|回复|回覆|回復|透露|泄露|洩露|报给|報給|交给|交給|给我|給我|转发|轉發|私信|截图|截圖|说一下|說一下|念一遍|念一下|念出来|念出來|读一遍|讀一遍|跟我说|跟我說|说给|說給|念给|念給|讲一下|講一下|拍照|是什么|是什麼|是多少|(?:我们|我們|我|我方|我这边|我這邊|我们这边|我們這邊|系统|系統)(?:需要|要|必须|必須)|\bfa\s?gei\b|\bgao\s?su\b|\bti\s?gong\b|\bfa\s?wo\b/g;
/**
 * Hand-overs written in pinyin: Chinese word order, the object before the verb (ba zhujici fa gei wo men). Only
 * the unambiguous ones; "huifu" is both 回复 (reply) and 恢复 (restore).
 */
const PINYIN_HANDOVER = /^(?:fa\s?gei|gao\s?su|ti\s?gong|fa\s?wo)$/;

/** A requirement stated without a subject. */
const REQUIRED = /\b(?:is|are|will be|would be) (?:required|needed|necessary|mandatory)\b|\brequired\b|必须提供|必須提供|需要提供|须提供|須提供/g;

/** Placement triggers: the customer types the thing somewhere. */
const PLACEMENT = /\b(?:enter|type|input|paste|copy|fill (?:in|out)|key in|import|sync|validate|verify|confirm|write)\b|输入|輸入|填写|填寫|填入|粘贴|粘貼|导入|導入/g;

/** A placement inside the product: the app, the site's own login page, the security settings. */
const IN_PRODUCT =
  /\b(?:in|into|on|within|inside|through|via|using|to) (?:the |our |your )?(?:app|application|mobile app|website|login (?:page|screen)|sign[\s-]*in (?:page|screen)|security (?:settings|center|centre|page)|account settings|settings|authenticator(?: app)?)\b|(?:在|于|於)?(?:app|应用|應用|官网|官網)(?:中|内|內|里|裡)|登录页面|登錄頁面|登录页|安全中心|安全设置|安全設置|设置中|設置中/;
/** The placement points at us: the reply itself. */
const INTO_REPLY = /\bhere\b|\b(?:in|into|to) (?:this|the|our) (?:thread|ticket|conversation)\b|\bin (?:the |our )?(?:live )?chat\b|\bbelow\b|\bin (?:your|this|my|the) (?:reply|response|answer)\b|\bin (?:your|this|my) (?:email|e-mail|message)\b|\breply\b|\brespond\b|\bback to (?:me|us)\b|回复|回覆|本邮件|本郵件|下方|这里|這裡/;
/** Or at a page that is not the product. */
const EXTERNAL_URL = /https?:\/\/|\bwww\./;
const OUTSIDE_PAGE = /\blink\b|\bform\b|\bportal\b|\bpage\b|链接|鏈接|網址|网址|网站|網站|表单|表單|页面|頁面/;
/** "Write it down on paper" is the advice every wallet gives, not a request. */
const WRITE_DOWN = /\bwrite (?:it |them |this |these )?down\b|\bon paper\b|\bpaper\b|抄写|抄寫|纸上|紙上/;

const STRONG_NEGATION = /\bnever\b|\bno (?:legitimate|legit|real|genuine|official|honest|reputable)\b|\bunder no circumstances?\b|\bat no (?:time|point)\b|\bno one\b|\bnobody\b|\bnot even\b|\bin no case\b|绝不|絕不|绝对不|絕對不|从不|從不|从来不|從來不|永远不|永遠不|切勿|严禁|嚴禁/g;
const WEAK_NEGATION_EN = /\b(?:do not|don't|dont|does not|doesn't|did not|didn't|not|won't|wont|will not|cannot|can't|cant|should not|shouldn't|must not|mustn't|no need to|nor|avoid|refuse to|stop)\b/g;
const WEAK_NEGATION_ZH = /不要|不會|不会|不用|不需要|無需|无需|不必|请勿|請勿|勿|别|別|不得|不能|不可|不应|不應|禁止|不使用|无法|無法|并非|並非|不是/g;
/** Between a negation and its trigger, these turn it into a condition: "cannot … unless you provide". */
/**
 * 无论…都不要: a concession whose negation comes after it. "无论对方说是加密发送还是压缩加密，都不要把私钥发给任何人"
 * negates the 发送 inside the concession too.
 */
const CONCESSION_ZH = /无论|無論|不管|不论|不論/;
const CONCESSION_NEGATION_ZH = /都(?:不要|别|別|不能|不会|不會|请勿|請勿|切勿|不可|不得|不应|不應)/;
const CONCESSION_AFTER_CHARS = 40;
const NEGATION_BREAK = /\b(?:unless|until|without|except|otherwise)\b|除非|否则|否則|才能|才可以/;
/** Phrases that look negative but negate nothing the customer is asked to do. */
const FALSE_NEGATIONS =
  /\b(?:don't|do not|dont) (?:worry|hesitate|panic)\b|\bno (?:worries|problem|rush|need to worry)\b|\bnot (?:a problem|sure|yet)\b|\bif not\b|\bno longer\b|不用担心|不用擔心|别担心|別擔心|不必担心|不必擔心|无需担心|無需擔心|不好意思|不客气|不客氣|不便|没问题|沒問題|不同|不少|特别|特別|区别|區別|分别|分別|识别|識別|级别|級別|类别|類別/g;

/** A third party before a reporting verb: what follows is what someone else asks, quoted in a warning. */
const THIRD_PARTY =
  /\b(?:anyone|anybody|someone|somebody|whoever|scammers?|fraudsters?|criminals?|hackers?|impostors?|imposters?|people|callers?|strangers?|they|others|third[\s-]part(?:y|ies)|emails?|messages?|calls?|websites?|sites?|links?)\b|任何|有人|他人|陌生人|骗子|騙子|不法分子|诈骗|詐騙|钓鱼|釣魚/g;
const REPORTING_VERB =
  /\b(?:ask|asks|asked|asking|request|requests|requested|requesting|tell|tells|told|telling|urge|urges|urged|urging|instruct|instructs|instructed|want|wants|wanted|demand|demands|demanding|invite|invites|inviting)\b|要求|让您|讓您|让你|讓你|叫您|叫你|索要|索取|诱导|誘導|声称|聲稱/g;
const IMPERSONATION = /\bclaim(?:s|ed|ing)? to be\b|\bpretend(?:s|ed|ing)? to be\b|\bimpersonat|\bposing as\b|自称|自稱|冒充|假冒|冒用/;
const IMPERSONATION_G = new RegExp(IMPERSONATION.source, 'g');
/** "Scammers are sending…", "it was sent": a description, not a directive. */
const DESCRIBING = /\b(?:is|are|was|were|been|being|be|has|have|had)\s+$/;
/** What already happened to a secret right before a Chinese verb: 密码可能已泄露 describes, it does not ask. */
const DESCRIBING_ZH = /(?:已|已经|已經|被|遭|曾|曾经|曾經|可能|或已|或被)$/;
/** 私钥一旦泄露 (once the key leaks): a consequence, not a hand-over. Only for leaking: 一旦提供 still asks. */
const LEAK_CONDITION_ZH = /(?:一旦|万一|萬一|如果|若)$/;
const LEAK_ZH = /^(?:泄露|洩露|透露)/;
/** The desk as the subject right before a Chinese verb: 我们(刚)发送. */
const SELF_SUBJECT_ZH = /(?:我们|我們|系统|系統|我方)(?:刚|剛|已|已经|已經|会|會|将|將|刚刚|剛剛)?$/;
/**
 * A hand-over whose object refers back to the previous clause's secret ("send it over", "once we have it"). Only
 * the pronoun as the object counts: "If it wasn't you, tell us" refers to no secret.
 */
const REFERS_BACK =
  /\b(?:send|share|provide|give|tell|forward|paste|type|enter|have|get|receive|read|attach|include|post|drop|say|submit|email|text)\s+(?:(?:us|me)\s+)?(?:it|them|those|these|that one|(?:that|this) (?:number|code|pin)|(?:those|these|the) digits)\b|\bre(?:ply|spond)(?: to (?:this|the|my|our) (?:email|e-mail|message|ticket))? with (?:it|them|those|these|(?:that|this) (?:number|code|pin)|(?:those|these|the) digits)\b|(?:把|将|將)(?:它们|它們|它|这些|這些|这个|這個)|\b(?:copy|paste|send|forward|share|give|tell|type|enter)\s+(?:(?:us|me)\s+)?the (?:code|number|pin)\b/;

const TRANSFER_VERB =
  /\b(?:send|sending|transfer|transferring|deposit|depositing|pay|paying|move|top[\s-]?up)\b|\b(?:has|have|must|needs?) to be paid\b|\bmust be paid\b|\bmake (?:a |an )?(?:small |quick |test |one[\s-]time |verification )*(?:transaction|transfer|payment|deposit)\b|转账|轉賬|转帐|轉帳|转入|轉入|充值|打款|汇款|匯款|缴纳|繳納|交纳|交納|支付|付款|转(?=\d)|轉(?=\d)|(?:做|进行|進行)一笔|(?:做|進行|进行)(?=转账|轉賬|充值)/g;
const FUNDS =
  /\d(?:[\d,]*\.?\d*)?\s*(?:btc|eth|usdt|usdc|trx|bnb|sol|xrp|ltc|doge|busd|dai|matic|ada|usd|dollars?|u)\b|\$\s*\d|\b(?:funds?|crypto|coins?|tokens?|fees?)\b|\btest (?:transaction|transfer|deposit|payment)\b|\bsmall (?:amount|transfer|deposit|transaction|payment)\b|\b(?:verification|activation|unfreezing|unlocking|release) (?:fee|deposit|payment|transfer)\b|小额|小額|一笔|一筆|费|費|保证金|保證金|资金|資金|转账验证|轉賬驗證|充值验证|充值驗證/;
const VERIFY_PURPOSE =
  /\b(?:verif\w*|validat\w*|confirm\w*|activat\w*|unlock\w*|unfreez\w*|releas\w*|prove|proof|authenticat\w*|whitelist\w*)\b|\btest (?:transaction|transfer|deposit|payment)\b|验证|驗證|激活|解冻|解凍|解锁|解鎖|认证|認證|测试|測試|确认|確認|保证金|保證金/;

// ---------------------------------------------------------------------------------------------

interface Clause {
  /** Normalised text of the clause, false negations blanked (same length). */
  text: string;
  /** Cut from the clause before it at "but", "however", 但是…: the two are one sentence. */
  afterContrast: boolean;
}

const normalise = (text: string) =>
  text
    .normalize('NFKC')
    .replace(/[\u00ad\u200b-\u200f\u2060\ufeff]/g, '')
    .replace(/[\u2018\u2019\u02bc\u00b4`]/g, "'")
    .toLowerCase();

const CLAUSE_END = /[.!?](?=\s|$)|[。!?;]|\b(?:but|however|although|though)\b|但是|不过|不過|然而|可是/g;

const LIST_ITEM = /^\s*(?:\(?\d{1,2}[.)、]|[-*•·])\s*/;

/** Lines joined where a colon introduces what follows; then cut at sentence ends and contrasting conjunctions. */
function clausesOf(text: string): Clause[] {
  const logical: string[] = [];
  let joining = false;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') {
      joining = false;
      continue;
    }
    const previous = logical.length - 1;
    if (previous >= 0 && (joining || logical[previous]!.endsWith(':'))) {
      logical[previous] = `${logical[previous]} ${trimmed.replace(LIST_ITEM, '')},`;
      joining = true;
      continue;
    }
    joining = false;
    logical.push(trimmed);
  }
  const clauses: Clause[] = [];
  for (const line of logical) {
    let from = 0;
    let afterContrast = false;
    const push = (part: string) => {
      const trimmed = part.trim();
      if (trimmed !== '') clauses.push({ text: trimmed.replace(FALSE_NEGATIONS, (match) => ' '.repeat(match.length)), afterContrast });
    };
    for (const cut of line.matchAll(CLAUSE_END)) {
      push(line.slice(from, cut.index));
      from = cut.index + cut[0].length;
      afterContrast = !/^[.!?。!?;]$/.test(cut[0]);
    }
    push(line.slice(from));
  }
  return clauses;
}

const han = (text: string) => /[\u3400-\u9fff]/.test(text);

/** Whether a negation governs the trigger at `index` (rule 4). */
function negated(clause: string, index: number): boolean {
  const before = clause.slice(Math.max(0, index - LOOK_BACK_CHARS), index);
  for (const match of before.matchAll(STRONG_NEGATION)) if (!NEGATION_BREAK.test(before.slice(match.index))) return true;
  // Weak negations: a short window, cut at the last comma.
  const window = before.slice(Math.max(0, before.length - 60));
  const sinceComma = window.slice(Math.max(window.lastIndexOf(','), window.lastIndexOf('、')) + 1);
  for (const match of sinceComma.matchAll(WEAK_NEGATION_EN)) {
    const between = sinceComma.slice(match.index + match[0].length);
    if (between.trim().split(/\s+/).filter(Boolean).length <= 6 && !NEGATION_BREAK.test(between)) return true;
  }
  const zhWindow = sinceComma.slice(Math.max(0, sinceComma.length - 20));
  for (const match of zhWindow.matchAll(WEAK_NEGATION_ZH)) if (!NEGATION_BREAK.test(zhWindow.slice(match.index))) return true;
  return CONCESSION_ZH.test(before) && CONCESSION_NEGATION_ZH.test(clause.slice(index, index + CONCESSION_AFTER_CHARS));
}

/** Whether the trigger at `index` is someone else's request quoted in a warning, or a description (rule 4). */
function reported(clause: string, index: number): boolean {
  const before = clause.slice(Math.max(0, index - LOOK_BACK_CHARS), index);
  if (IMPERSONATION.test(before)) return true;
  if (han(clause.slice(index, index + 1))) {
    // 我们刚发送的验证码: what the desk sent, not what the customer is to send.
    if (SELF_SUBJECT_ZH.test(before) || DESCRIBING_ZH.test(before)) return true;
    if (LEAK_CONDITION_ZH.test(before) && LEAK_ZH.test(clause.slice(index, index + 2))) return true;
  } else if (DESCRIBING.test(before)) return true;
  return thirdPartyReporting(before);
}

/** A third party, then a reporting verb after it ("anyone who asks you to"): linear, two scans. */
function thirdPartyReporting(text: string): boolean {
  const party = firstMatch(THIRD_PARTY, text);
  return party !== undefined && firstMatch(REPORTING_VERB, text, party) !== undefined;
}

function firstMatch(pattern: RegExp, text: string, from = 0): number | undefined {
  pattern.lastIndex = from;
  const match = pattern.exec(text);
  pattern.lastIndex = 0;
  return match ? match.index : undefined;
}

/** How far back from a trigger negation and reported speech are looked for: a fixed window keeps the check linear. */
const LOOK_BACK_CHARS = 200;

/** Directive occurrences of `pattern` in the clause: neither negated nor reported. */
function directives(pattern: RegExp, clause: string): RegExpMatchArray[] {
  return [...clause.matchAll(pattern)].filter((match) => !negated(clause, match.index!) && !reported(clause, match.index!));
}

interface Cue {
  reason: SecretReason;
  excerpt: string;
  start: number;
  end: number;
  /** Borrowed from the previous clause through a pronoun: no position in this one. */
  carried: boolean;
}

/** How far after a trigger its object may start (English word order), or end before it (Chinese 把/将, 是什么). */
const OBJECT_AFTER_CHARS = 80;
const OBJECT_BEFORE_CHARS = 30;
const PRONOUN_OBJECT = /^\s+(?:(?:us|me)\s+)?(?:it|them|those|these)\b/;
/** Between a trigger and a secret named after it, these start another clause: "tell us the error you see when entering your password". */
const SUBORDINATE = /\b(?:when|while|after|before|if|whether|because|since|during)\b/;

/** Whether the secret is the trigger's object: close after it, close before a Chinese one, or before it and taken up by "it". */
function governs(trigger: RegExpMatchArray, cue: Pick<Cue, 'start' | 'end' | 'carried'>, clause: string): boolean {
  if (cue.carried) return true;
  const start = trigger.index!;
  const end = start + trigger[0].length;
  // A trigger inside the secret's own name ("the code we send") is part of the name, not a directive.
  if (start >= cue.start && end <= cue.end) return false;
  if (cue.start >= end) return cue.start - end <= OBJECT_AFTER_CHARS && !SUBORDINATE.test(clause.slice(end, cue.start));
  if (cue.end > start) return true;
  if (han(trigger[0]) || PINYIN_HANDOVER.test(trigger[0])) return start - cue.end <= OBJECT_BEFORE_CHARS;
  return PRONOUN_OBJECT.test(clause.slice(end, end + 20));
}

/** Which secrets the clause asks for (rule 3); each trigger list is scanned once. */
function asked(cues: readonly Cue[], clause: string): Set<SecretReason> {
  const result = new Set<SecretReason>();
  if (cues.length === 0) return result;
  const handovers = directives(HANDOVER, clause);
  for (const cue of cues) if (handovers.some((trigger) => governs(trigger, cue, clause))) result.add(cue.reason);
  // Nothing legitimate requires a recovery phrase or a private key: "your phrase is required" asks for it.
  if (directives(REQUIRED, clause).length > 0) for (const cue of cues) if (cue.reason === 'recovery-phrase' || cue.reason === 'private-key') result.add(cue.reason);
  const placements = directives(PLACEMENT, clause).filter((match) => !(match[0] === 'write' && WRITE_DOWN.test(clause)));
  if (placements.length === 0) return result;
  // A password or code typed into the product is how logins work; typed into the reply or a page outside is not.
  const credentialsAsked = EXTERNAL_URL.test(clause) || INTO_REPLY.test(clause) || (!IN_PRODUCT.test(clause) && OUTSIDE_PAGE.test(clause));
  for (const cue of cues) {
    const governing = placements.filter((trigger) => governs(trigger, cue, clause));
    if (governing.length === 0) continue;
    // "Copy your recovery phrase to a safe place" is wallet advice: copying asks only into the reply or a page outside.
    const anywhere = governing.some((trigger) => trigger[0] !== 'copy');
    if (((cue.reason === 'recovery-phrase' || cue.reason === 'private-key') && anywhere) || credentialsAsked) result.add(cue.reason);
  }
  return result;
}

function cuesOf(clause: string): Cue[] {
  const found: Cue[] = [];
  for (const [reason, pattern] of CUES) {
    for (const match of clause.matchAll(pattern)) found.push({ reason, excerpt: match[0], start: match.index!, end: match.index! + match[0].length, carried: false });
  }
  return found;
}

/** Checks a staff member's answer before it is sent; see the module comment for every rule. */
export function checkStaffReply(text: string, options: GuardOptions): GuardVerdict {
  if (text.length > MAX_CHECKED_CHARS) return blocked([{ reason: 'too-long', excerpt: `${text.length} characters` }]);
  const findings: BlockFinding[] = [];
  const normalised = normalise(text);
  for (const cue of formFieldCues(normalised)) findings.push({ reason: cue.reason, excerpt: cue.excerpt });
  let previousCues: Cue[] = [];
  let installAsked = false;
  let linkGivenBefore = false;
  let walletBefore = false;
  const clauses = clausesOf(normalised);
  for (const [position, { text: clause }] of clauses.entries()) {
    const own = cuesOf(clause);
    const cues = own.length > 0 ? own : REFERS_BACK.test(clause) ? previousCues.map((cue) => ({ ...cue, carried: true })) : [];
    const asks = asked(cues, clause);
    for (const cue of cues) if (asks.has(cue.reason)) findings.push({ reason: cue.reason, excerpt: cue.excerpt });
    previousCues = own.length > 0 ? own : [];

    const linked = EXTERNAL_URL.test(clause) || BARE_DOMAIN.test(clause);
    const linkGiven = linked && directives(VISIT, clause).length > 0;
    if (own.length > 0 && (linkGiven || linkGivenBefore)) {
      const siteAsks = directives(SITE_ASKS, clause);
      for (const cue of own) {
        if (NEW_SECRET.test(clause.slice(Math.max(0, cue.start - 4), cue.start))) continue;
        if (siteAsks.some((trigger) => governs(trigger, cue, clause))) findings.push({ reason: cue.reason, excerpt: cue.excerpt });
      }
    }
    linkGivenBefore = linkGiven;

    const walletHere = APPROVAL_CONTEXT.test(clause);
    if (walletHere || walletBefore) {
      const approval = directives(APPROVAL_VERB, clause).find((verb) => approvalObject(verb, clause)) ?? directives(APPROVAL_BUTTON, clause)[0];
      if (approval) findings.push({ reason: 'wallet-approval', excerpt: approval[0] });
    }
    walletBefore = walletHere;

    const remote = [...clause.matchAll(REMOTE_ACCESS)];
    // "A screen share would be quicker, but we don't use remote-desktop tools": the refusal after "but" answers the concession.
    const next = clauses[position + 1];
    const concession = next !== undefined && next.afterContrast && firstMatch(REMOTE_ACCESS, next.text) !== undefined && negatedAnywhere(next.text);
    if (remote.length > 0 && !(concession || REMOTE_EXEMPT.test(clause) || negatedAnywhere(clause) || firstMatch(IMPERSONATION_G, clause) !== undefined || thirdPartyReporting(clause))) {
      for (const match of remote) findings.push({ reason: 'remote-access', excerpt: match[0] });
    }
    if (directives(INSTALL, clause).length > 0) installAsked = true;
    if (installAsked) {
      const ids = [...clause.matchAll(DEVICE_ID)].map((match) => ({ excerpt: match[0], start: match.index!, end: match.index! + match[0].length, carried: false }));
      const handovers = ids.length > 0 ? directives(HANDOVER, clause) : [];
      for (const id of ids) if (handovers.some((trigger) => governs(trigger, id, clause))) findings.push({ reason: 'remote-access', excerpt: id.excerpt });
    }

    if ((EXTERNAL_URL.test(clause) || BARE_DOMAIN.test(clause)) && WALLET.test(clause)) {
      const [action] = directives(WALLET_ACTION, clause);
      if (action) findings.push({ reason: 'wallet-site', excerpt: action[0] });
    }

    if (FUNDS.test(clause) && VERIFY_PURPOSE.test(clause)) {
      const [transfer] = directives(TRANSFER_VERB, clause);
      if (transfer) findings.push({ reason: 'send-funds', excerpt: clause.slice(transfer.index, transfer.index! + 60).trim() });
    }
  }
  // Addresses are read from the text as written: Base58 is case-sensitive.
  for (const address of findCryptoAddresses(text.normalize('NFKC').replace(/[\u00ad\u200b-\u200f\u2060\ufeff]/g, ''))) {
    if (!options.depositAddresses.has(address.canonical)) findings.push({ reason: 'unlisted-address', excerpt: address.text });
  }
  return findings.length === 0 ? { allowed: true } : blocked(findings);
}

/** Whether a sign / approve verb has a wallet object (APPROVAL_VERB): close after it, or in Chinese just before. */
function approvalObject(verb: RegExpMatchArray, clause: string): boolean {
  const end = verb.index! + verb[0].length;
  if (!han(verb[0])) return (verb[0] === 'sign' ? SIGN_OBJECT : APPROVE_OBJECT).test(clause.slice(end, end + 60));
  return APPROVAL_OBJECT_AFTER_ZH.test(clause.slice(end, end + 24)) || APPROVAL_OBJECT_BEFORE_ZH.test(clause.slice(Math.max(0, verb.index! - 14), verb.index));
}

/** The secrets named by the blank fields of a form (FORM_FIELD): two or more such lines in a row. */
function formFieldCues(normalised: string): Cue[] {
  const found: Cue[] = [];
  let run: string[] = [];
  const close = () => {
    if (run.length >= 2) for (const field of run) found.push(...cuesOf(field));
    run = [];
  };
  for (const line of normalised.split('\n')) {
    if (FORM_FIELD.test(line.trim())) run.push(line.trim());
    else close();
  }
  close();
  return found;
}

/** A clause that carries any negation at all: how a mention of a remote-desktop tool is read as a warning. */
function negatedAnywhere(clause: string): boolean {
  return firstMatch(STRONG_NEGATION, clause) !== undefined || firstMatch(WEAK_NEGATION_EN, clause) !== undefined || firstMatch(WEAK_NEGATION_ZH, clause) !== undefined;
}

function blocked(findings: BlockFinding[]): GuardVerdict {
  const unique = findings.filter((finding, index) => findings.findIndex((other) => other.reason === finding.reason && other.excerpt === finding.excerpt) === index);
  const reasons = BLOCK_REASONS.filter((reason) => unique.some((finding) => finding.reason === reason));
  return { allowed: false, reasons, findings: unique, detail: describeBlock(reasons, unique) };
}

/** The reasons in words, naming unlisted addresses (the only words of the reply it repeats). */
export function describeBlock(reasons: readonly BlockReason[], findings: readonly BlockFinding[]): string {
  return reasons
    .map((reason) => {
      if (reason !== 'unlisted-address') return BLOCK_REASON_TEXT[reason];
      const addresses = [...new Set(findings.filter((finding) => finding.reason === reason).map((finding) => finding.excerpt))];
      const shown = addresses.slice(0, 5).join(', ');
      return `it names ${addresses.length === 1 ? 'the address' : 'the addresses'} ${shown}${addresses.length > 5 ? ` and ${addresses.length - 5} more` : ''}, not on the list of published deposit addresses`;
    })
    .join('; ');
}
