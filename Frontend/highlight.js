// Syntax highlighting for code blocks: one regex tokenizer per language family, returning
// [class, text] pairs that markdown.js turns into <span class="t-…"> nodes (never HTML).
// Classes: k keyword, t type/literal, s string, c comment, n number, f function,
// p property/variable, m meta (tags, decorators, diff headers), i inserted, d deleted.

const STR = String.raw`"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?`;
const NUM = String.raw`\b(?:0[xob][\da-fA-F_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?)[a-zA-Z]*\b`;
const SLASH = String.raw`\/\/.*|\/\*[\s\S]*?(?:\*\/|$(?![\s\S]))`;
const IDENT = String.raw`[A-Za-z_$][\w$]*`;
const words = (s) => new Set(s.split(' '));

// A family: rules tried in order at each position ([class, regex source]; class "w" is an
// identifier looked up in the keyword and literal sets), and those sets.
const cLike = (keywords, literals, extra = [], types = '') => ({
  rules: [['c', SLASH], ...extra, ['s', STR], ['n', NUM], ['w', IDENT]],
  keywords: words(keywords), literals: words(literals + ' ' + types), capitalTypes: true,
});

const JS = cLike('break case catch class const continue debugger default delete do else export extends finally for from function get if import in instanceof let new of return set static super switch this throw try typeof var void while with yield async await as interface type enum implements private public protected readonly declare namespace abstract keyof satisfies',
  'true false null undefined NaN Infinity', [['s', '`(?:[^`\\\\]|\\\\.)*`?'], ['s', String.raw`\/(?![*/\s])(?:[^/\\\n[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+\/[dgimsuy]*(?=\s*[.,;)\]}]|$)`]],
  'string number boolean any unknown never object symbol bigint');
const LANGS = {
  js: JS,
  swift: cLike('actor associatedtype async await break case catch class continue default defer do else enum extension fallthrough fileprivate final for func guard if import in init inout internal is lazy let mutating nonisolated open operator override private protocol public repeat rethrows return some any static struct subscript super switch throw throws try typealias var weak where while self Self',
    'true false nil', [['s', '"""[\\s\\S]*?(?:"""|$(?![\\s\\S]))'], ['m', '@\\w+|#\\w+']]),
  go: cLike('break case chan const continue default defer else fallthrough for func go goto if import interface map package range return select struct switch type var',
    'true false nil iota', [['s', '`[^`]*`?']], 'bool byte error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any'),
  rust: cLike('as async await break const continue crate dyn else enum extern fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait type unsafe use where while',
    'true false Some None Ok Err', [['m', '#!?\\[[^\\]\\n]*\\]?'], ['f', '\\b\\w+!(?=[(\\[{])'], ['s', "'\\\\?.'(?!\\w)"], ['m', "'\\w+"]],
    'i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64 bool char str'),
  c: cLike('auto break case catch char class const continue default delete do double else enum extern final float for fun goto if import int long namespace new override package private protected public return short signed sizeof static struct switch template this throw try typedef union unsigned using val var void volatile when while',
    'true false null nullptr NULL', [['m', '#\\s*\\w+']]),
  python: {
    rules: [['c', '#.*'], ['s', String.raw`[rbfuRBFU]{0,2}(?:"""[\s\S]*?(?:"""|$(?![\s\S]))|'''[\s\S]*?(?:'''|$(?![\s\S])))`],
      ['s', '[rbfuRBFU]{0,2}(?:' + STR + ')'], ['m', String.raw`^\s*@[\w.]+`], ['n', NUM], ['w', IDENT]],
    keywords: words('and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case'),
    literals: words('True False None self cls int str float bool list dict set tuple bytes object'), capitalTypes: true,
  },
  sh: {
    rules: [['c', String.raw`(?<![^\s;])#.*`], ['s', String.raw`"(?:[^"\\]|\\.)*"?|'[^']*'?`], ['p', String.raw`\$(?:\{[^}\n]*\}?|\w+|[@#?$!*-])`],
      ['m', String.raw`(?<![^\s])--?[\w-]+`], ['n', String.raw`(?<![\w-])\d+\b`], ['w', String.raw`[\w.-]+`]],
    keywords: words('if then else elif fi for in while until do done case esac function return local export readonly declare unset shift exit break continue set source'),
    literals: words('true false'), builtins: words('echo cd printf read test eval exec sudo make swift node git curl apt-get grep sed awk cat ls rm mkdir cp mv chmod docker python3 npm'),
  },
  sql: {
    rules: [['c', String.raw`--.*|\/\*[\s\S]*?(?:\*\/|$(?![\s\S]))`], ['s', String.raw`'(?:[^']|'')*'?|"[^"\n]*"?`], ['n', NUM], ['w', String.raw`[A-Za-z_]\w*`]],
    keywords: words('select from where and or not insert into values update set delete create table drop alter add column index on join left right inner outer full cross group by order having limit offset as distinct union all case when then else end is null primary key foreign references default unique exists in like between returning with begin commit rollback transaction view if asc desc check constraint'),
    literals: words('true false integer int text varchar char boolean real numeric date timestamp serial bigint'), fold: true,
  },
  json: { rules: [['p', String.raw`"(?:[^"\\\n]|\\.)*"(?=\s*:)`], ['s', String.raw`"(?:[^"\\\n]|\\.)*"?`], ['n', String.raw`-?${NUM}`], ['w', '[a-z]+']],
    keywords: words(''), literals: words('true false null') },
  css: {
    rules: [['c', String.raw`\/\*[\s\S]*?(?:\*\/|$(?![\s\S]))`], ['s', STR], ['k', String.raw`@[\w-]+|!important`],
      ['p', String.raw`--[\w-]+|[\w-]+(?=\s*:[^{;\n]*(?:[;}]|$))`], ['n', String.raw`#[\da-fA-F]{3,8}\b|-?(?:\d*\.)?\d+(?:%|[a-zA-Z]+)?`],
      ['t', String.raw`[.#][A-Za-z_-][\w-]*|::?[\w-]+`], ['f', String.raw`[\w-]+(?=\()`]],
    keywords: words(''), literals: words(''),
  },
  html: {
    rules: [['c', String.raw`<!--[\s\S]*?(?:-->|$(?![\s\S]))`], ['m', String.raw`<![^>\n]*>?`], ['tag', String.raw`<\/?[A-Za-z][\w:-]*(?:[^>"']|"[^"]*"?|'[^']*'?)*>?`], ['n', String.raw`&#?\w+;`]],
    keywords: words(''), literals: words(''),
  },
  diff: {
    rules: [['m', String.raw`^(?:diff |index |\+\+\+ |--- |@@).*`], ['i', String.raw`^\+.*`], ['d', String.raw`^-.*`], ['c', String.raw`^\\.*`]],
    keywords: words(''), literals: words(''),
  },
};
const ALIASES = {
  javascript: 'js', jsx: 'js', mjs: 'js', cjs: 'js', ts: 'js', typescript: 'js', tsx: 'js', node: 'js',
  golang: 'go', rs: 'rust', py: 'python', python3: 'python', bash: 'sh', shell: 'sh', zsh: 'sh', console: 'sh',
  shellsession: 'sh', sqlite: 'sql', postgresql: 'sql', mysql: 'sql', scss: 'css', xml: 'html', svg: 'html',
  patch: 'diff', cpp: 'c', 'c++': 'c', h: 'c', java: 'c', kotlin: 'c', kt: 'c', cs: 'c', csharp: 'c', jsonc: 'json',
};
const compiled = new Map();

function family(lang) {
  const key = String(lang || '').toLowerCase();
  const name = LANGS[key] ? key : ALIASES[key];
  if (!name) return null;
  if (!compiled.has(name)) {
    const f = LANGS[name];
    compiled.set(name, { ...f, re: new RegExp(f.rules.map(([, r]) => `(${r})`).join('|'), 'gm') });
  }
  return compiled.get(name);
}

/** Whether `lang` (a fence's info word) has a highlighter. */
export const highlights = (lang) => family(lang) !== null;

// An identifier's class: keyword, literal/type, builtin or call, capitalised type, or none.
function wordClass(f, w, next) {
  const k = f.fold ? w.toLowerCase() : w;
  if (f.keywords.has(k)) return 'k';
  if (f.literals.has(k)) return 't';
  if (f.builtins?.has(w)) return 'f';
  if (next === '(') return 'f';
  return f.capitalTypes && /^[A-Z][a-z]/.test(w) ? 't' : '';
}

// A tag split into name, attribute names and values.
function tagTokens(text, out) {
  const re = /(<\/?[\w:-]+)|([\w:-]+)(?==)|("[^"]*"?|'[^']*'?)|(\/?>)/g;
  let last = 0;
  for (let m; (m = re.exec(text));) {
    if (m.index > last) out.push(['', text.slice(last, m.index)]);
    out.push([m[1] || m[4] ? 'm' : m[2] ? 'p' : 's', m[0]]);
    last = re.lastIndex;
  }
  if (last < text.length) out.push(['', text.slice(last)]);
}

/**
 * The code as [class, text] pairs that concatenate to it, or null for a language without
 * a highlighter. Linear: one pass of one regex.
 *
 *   highlight('let x = 1', 'js')  // → [['k', 'let'], ['', ' x = '], ['n', '1']]
 */
export function highlight(code, lang) {
  const f = family(lang);
  if (!f) return null;
  const out = [];
  const plain = (s) => {
    if (!s) return;
    const prev = out[out.length - 1];
    if (prev && prev[0] === '') prev[1] += s;
    else out.push(['', s]);
  };
  const re = f.re;
  re.lastIndex = 0;
  let last = 0;
  for (let m; (m = re.exec(code));) {
    if (!m[0]) { re.lastIndex++; continue; }
    plain(code.slice(last, m.index));
    last = re.lastIndex;
    let g = 1;
    while (m[g] === undefined) g++;
    const cls = f.rules[g - 1][0];
    if (cls === 'w') {
      const c = wordClass(f, m[0], code[last]);
      if (c) out.push([c, m[0]]);
      else plain(m[0]);
    } else if (cls === 'tag') {
      tagTokens(m[0], out);
    } else {
      out.push([cls, m[0]]);
    }
  }
  plain(code.slice(last));
  return out;
}
