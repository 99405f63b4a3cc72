// Tests for Frontend/markdown.js: run with `node --test Tests/Frontend/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, inline, toHTML, toDOM, safeUrl, escapeHTML, BlockStream } from '../../Frontend/markdown.js';

const text = (t) => ({ type: 'text', text: t });

// A tiny fake document: enough for toDOM, and any attempt to parse HTML throws.
class FakeNode {
  constructor(tag) { this.tag = tag; this.attrs = []; this.children = []; }
  setAttribute(k, v) { this.attrs.push([k, String(v)]); }
  append(...nodes) { this.children.push(...nodes); }
  set innerHTML(_) { throw new Error('innerHTML used'); }
  insertAdjacentHTML() { throw new Error('insertAdjacentHTML used'); }
  serialize() {
    const inner = this.children.map((c) => c.serialize()).join('');
    if (!this.tag) return inner;
    const a = this.attrs.map(([k, v]) => ` ${k}="${escapeHTML(v)}"`).join('');
    return this.tag === 'br' || this.tag === 'hr' ? `<${this.tag}${a}>` : `<${this.tag}${a}>${inner}</${this.tag}>`;
  }
}
const fakeDocument = {
  createElement: (tag) => new FakeNode(tag),
  createTextNode: (data) => ({ data, serialize: () => escapeHTML(data) }),
  createDocumentFragment: () => new FakeNode(null),
  write() { throw new Error('document.write used'); },
};
const dom = (src) => toDOM(src, fakeDocument).serialize();
/** Collects every link href in a tree. */
const hrefs = (nodes) => nodes.flatMap((n) => [
  ...(n.type === 'link' ? [n.href] : []),
  ...hrefs(n.children || []), ...(n.items || []).flatMap(hrefs),
  ...(n.head || []).flatMap(hrefs), ...(n.rows || []).flat().flatMap(hrefs),
]);

test('headings, paragraphs, emphasis, strong, inline code', () => {
  assert.deepEqual(parse('# Title\n\nSome *em*, **strong**, `code` and ~~gone~~.'), [
    { type: 'heading', level: 1, children: [text('Title')] },
    { type: 'paragraph', children: [
      text('Some '), { type: 'em', children: [text('em')] }, text(', '),
      { type: 'strong', children: [text('strong')] }, text(', '), { type: 'codespan', text: 'code' },
      text(' and '), { type: 'del', children: [text('gone')] }, text('.'),
    ] },
  ]);
  assert.equal(toHTML('### Three ###'), '<h3>Three</h3>');
  assert.equal(toHTML('Setext\n==='), '<h1>Setext</h1>');
  assert.equal(toHTML('***both*** and __u__ and _i_'), '<p><strong><em>both</em></strong> and <strong>u</strong> and <em>i</em></p>');
  assert.equal(toHTML('*a **b** c*'), '<p><em>a <strong>b</strong> c</em></p>');
});

test('emphasis leaves snake_case, lone stars and escapes alone', () => {
  assert.equal(toHTML('snake_case_name and 2 * 3 * 4'), '<p>snake_case_name and 2 * 3 * 4</p>');
  assert.equal(toHTML('\\*not em\\* and **unclosed'), '<p>*not em* and **unclosed</p>');
  assert.equal(toHTML('`a*b*c` *x*'), '<p><code>a*b*c</code> <em>x</em></p>');
  assert.equal(toHTML('`` a ` b ``'), '<p><code>a ` b</code></p>');
});

test('line breaks: soft, two trailing spaces, backslash', () => {
  assert.deepEqual(inline('a\nb'), [text('a\nb')]);
  assert.deepEqual(inline('a  \nb'), [text('a'), { type: 'br' }, text('b')]);
  assert.equal(toHTML('a\\\nb'), '<p>a<br>b</p>');
});

const CODE_HEAD = (lang) => `<div class="code-head"><span class="code-lang">${lang}</span>`
  + '<button type="button" class="code-tool" data-action="wrap-code" data-testid="code-wrap">Wrap</button>'
  + '<button type="button" class="code-tool" data-action="copy-code" data-testid="code-copy">Copy</button></div>';
const untag = (html) => html.replace(/<[^>]*>/g, '');

test('fenced code blocks keep their text and get a language label, Wrap and Copy buttons', () => {
  const src = 'Before\n```swift\nlet s = "<b>"\n\n  print(s)\n```\nAfter';
  const tree = parse(src);
  assert.deepEqual(tree[1], { type: 'code', lang: 'swift', text: 'let s = "<b>"\n\n  print(s)' });
  assert.equal(tree[2].type, 'paragraph');
  assert.equal(toHTML('```swift\nlet x = 1\n```'), `<div class="code-block">${CODE_HEAD('swift')}`
    + '<pre><code class="language-swift"><span class="t-k">let</span> x = <span class="t-n">1</span></code></pre></div>');
  assert.match(toHTML('```nolang\nlet x = 1\n```'), /<code class="language-nolang">let x = 1<\/code>/);
  assert.deepEqual(parse('~~~\nno lang\n````\n~~~'), [{ type: 'code', lang: '', text: 'no lang\n````' }]);
  assert.deepEqual(parse('```js\nunclosed'), [{ type: 'code', lang: 'js', text: 'unclosed' }]);
  const odd = toHTML('```"><img src=x>\nx\n```');
  assert.match(odd, /<span class="code-lang">img<\/span>/);
  assert.doesNotMatch(odd, /<img/);
});

test('lists: unordered, ordered with start, nested, tight and loose', () => {
  assert.equal(toHTML('- a\n- b\n  - c\n* d'), '<ul><li>a</li><li>b<ul><li>c</li></ul></li></ul><ul><li>d</li></ul>');
  assert.equal(toHTML('3. x\n4. y'), '<ol start="3"><li>x</li><li>y</li></ol>');
  assert.equal(toHTML('1. x\n\n2. y'), '<ol><li><p>x</p></li><li><p>y</p></li></ol>');
  assert.equal(toHTML('1. **Step**\n   more\n   ```sh\n   ls\n   ```\n2. two'),
    `<ol><li><strong>Step</strong>\nmore<div class="code-block">${CODE_HEAD('sh')}`
    + '<pre><code class="language-sh"><span class="t-f">ls</span></code></pre></div></li><li>two</li></ol>');
  assert.equal(toHTML('- a\nlazy'), '<ul><li>a\nlazy</li></ul>');
  assert.equal(toHTML('Intro:\n- a\n- b'), '<p>Intro:</p><ul><li>a</li><li>b</li></ul>');
});

test('block quotes, horizontal rules, tables', () => {
  assert.equal(toHTML('> quoted *text*\n> # head'), '<blockquote><p>quoted <em>text</em></p><h1>head</h1></blockquote>');
  assert.equal(toHTML('a\n\n---\n\n* * *\n\nb'), '<p>a</p><hr><hr><p>b</p>');
  const t = parse('| Name | Score |\n|:-----|------:|\n| `a\\|b` | **1** |\n| c |');
  assert.equal(t[0].type, 'table');
  assert.deepEqual(t[0].align, ['left', 'right']);
  assert.deepEqual(t[0].head, [[text('Name')], [text('Score')]]);
  assert.deepEqual(t[0].rows, [
    [[{ type: 'codespan', text: 'a|b' }], [{ type: 'strong', children: [text('1')] }]],
    [[text('c')], []],
  ]);
  assert.match(toHTML('a | b\n--- | ---\n1 | 2'), /^<div class="table-wrap"><table><thead><tr><th>a<\/th><th>b<\/th><\/tr><\/thead><tbody><tr><td>1<\/td><td>2<\/td><\/tr><\/tbody><\/table><\/div>$/);
  assert.equal(toHTML('Not | a table\n\nx'), '<p>Not | a table</p><p>x</p>');
});

test('links: http, https and mailto only, with rel and target', () => {
  assert.equal(toHTML('[site](https://example.com/a?b=1&c=2)'),
    '<p><a href="https://example.com/a?b=1&#38;c=2" target="_blank" rel="noopener noreferrer">site</a></p>');
  assert.deepEqual(hrefs(parse('[m](mailto:me@example.com) <http://x.org> and https://y.org/p.')),
    ['mailto:me@example.com', 'http://x.org/', 'https://y.org/p']);
  assert.equal(toHTML('[rel](/relative) [t](https://x.org "title")'),
    '<p>rel <a href="https://x.org/" target="_blank" rel="noopener noreferrer">t</a></p>');
  assert.equal(toHTML('![alt](https://img.example/x.png)'),
    '<p><a href="https://img.example/x.png" target="_blank" rel="noopener noreferrer">alt</a></p>');
});

test('XSS: raw HTML is text', () => {
  const src = '<img src=x onerror=alert(1)>\n\n<script>alert(1)</script>';
  assert.deepEqual(parse(src), [
    { type: 'paragraph', children: [text('<img src=x onerror=alert(1)>')] },
    { type: 'paragraph', children: [text('<script>alert(1)</script>')] },
  ]);
  for (const out of [toHTML(src), dom(src)]) {
    assert.equal(out, '<p>&#60;img src=x onerror=alert(1)&#62;</p><p>&#60;script&#62;alert(1)&#60;/script&#62;</p>');
  }
});

test('XSS: HTML in headings, emphasis, lists, tables and quotes stays text', () => {
  const src = '# <b onclick="x()">Head</b>\n\n**<i>x</i>**\n\n- <iframe src="javascript:alert(1)">\n\n| <svg onload=alert(1)> |\n|---|\n\n> <a href="javascript:x">q</a>';
  for (const out of [toHTML(src), dom(src)]) {
    assert.doesNotMatch(out, /<(?!\/?(h1|p|strong|ul|li|div|table|thead|tbody|tr|th|td|blockquote)\b)[a-z]/i, out);
    assert.match(out, /&#60;b onclick=&#34;x\(\)&#34;&#62;Head&#60;\/b&#62;/);
  }
});

test('XSS: <script> inside code is text', () => {
  const src = '```html\n<script>alert(1)</script>\n```\n\n`<script>` inline';
  assert.equal(parse(src)[0].text, '<script>alert(1)</script>');
  for (const out of [toHTML(src), dom(src)]) {
    assert.doesNotMatch(out, /<script/i);
    assert.match(untag(out), /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
  }
});

test('XSS: javascript:, data:, vbscript: and obfuscated links never become links', () => {
  const bad = [
    'javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>', 'DATA:text/html;base64,PHNjcmlwdD4=', 'vbscript:msgbox(1)',
    '&#106;avascript:alert(1)', 'javascript&colon;alert(1)', '//evil.example', 'file:///etc/passwd',
    '<javascript:alert(1)>', 'https:alert(1)',
  ];
  for (const url of bad) {
    for (const src of [`[click](${url})`, `<${url}>`, `![img](${url})`]) {
      assert.deepEqual(hrefs(parse(src)), [], src);
      assert.doesNotMatch(toHTML(src), /href/, src);
    }
    assert.equal(safeUrl(url), null, url);
  }
  assert.equal(toHTML('[click](javascript:alert(1))'), '<p>click</p>');
});

test('XSS: quotes in link URLs cannot break out of the attribute', () => {
  const src = '[x](https://a.example/"onmouseover="alert(1)) [y](<https://a.example/\' onclick=\'alert(1)>)';
  for (const out of [toHTML(src), dom(src)]) {
    assert.doesNotMatch(out, /"\s*onmouseover=|'\s*onclick=/, out);
    for (const [, value] of out.matchAll(/href="([^"]*)"/g)) assert.doesNotMatch(value, /["'<>\s]/);
  }
  assert.equal(safeUrl('https://a.example/"><script>'), 'https://a.example/%22%3E%3Cscript%3E');
});

test('link labels cannot nest links; bare URLs drop trailing punctuation', () => {
  assert.deepEqual(hrefs(parse('[https://a.example](https://b.example)')), ['https://b.example/']);
  assert.deepEqual(hrefs(parse('(see https://w.example/Foo_(bar)), https://x.example/a.')),
    ['https://w.example/Foo_(bar)', 'https://x.example/a']);
  assert.deepEqual(hrefs(parse('notahttps://x.example')), []);
});

test('toDOM builds the same markup as toHTML, without any HTML parsing', () => {
  const src = [
    '# Title', 'Text with **bold**, [a link](https://example.com) and `code`.', '```json\n{"a": "<b>"}\n```',
    '1. one\n2. two', '> quote', '| a | b |\n|---|:-:|\n| 1 | 2 |', '---', '<img src=x onerror=alert(1)>',
  ].join('\n\n');
  assert.equal(dom(src), toHTML(src));
});

test('odd input does not throw', () => {
  for (const src of ['', '\n\n', '[', '[]()', '`', '***', '> ', '- ', '|', '|-|', '# ', '\\', '*_*_~~', null, undefined, 42]) {
    assert.equal(typeof toHTML(parse(src)), 'string');
  }
  assert.equal(toHTML('a\r\nb\rc'), '<p>a\nb\nc</p>');
});

// ---- streaming: BlockStream ------------------------------------------------------------

const STREAMED = [
  '# Streaming\n\nSome *em*, **strong**, `code` and a [link](https://example.com/a_b).\n\n'
    + '1. one\n2. two\n\n   still two\n3. three\n\n- a\n  - nested\n- b\n\n'
    + '| Name | Value |\n|:-----|------:|\n| `x` | **1** |\n| y | 2 |\n\nAfter the table.\n\n'
    + '```swift\nlet x = 1\n\nprint(x)\n```\n\n> quoted\n> more\n\nSetext\n---\n\n***\n\nPara with a | pipe\nand more\n\n'
    + '~~~\nunclosed at the end',
  'Intro:\n- a\n- b\nlazy\n\nText\n| h1 | h2 |\n| -- | -- |\n| c | d |\n\n    indented\n\nx\r\n\r\ny\r\n# h\r\n',
  'Para one.\n\n```\n| not | a table |\n```\nPara\n===\n\n- [ ] task\n* other list\n\n10) ten\n11) eleven\n',
  'Math $a^2+b^2=c^2$ inline, $5 money.\n$$\n\\int_0^1 x\\,dx\n$$\nAfter $$x$$ and\n\n$$ y $$\n\n$$\nunclosed',
];

/** Streams `src` in pieces of the sizes `cut` returns; the HTML of every block it rendered. */
function streamed(src, cut) {
  const s = new BlockStream();
  const done = [];
  const seen = [];
  for (let i = 0; i < src.length;) {
    i = Math.min(src.length, i + cut(i));
    const r = s.update(src.slice(0, i));
    done.push(...r.done);
    seen.push(toHTML([...done, ...r.open]));
  }
  done.push(...s.update(src, true).done);
  return { html: toHTML(done), seen };
}

test('streaming: finished blocks plus the last tail equal rendering the whole reply, whatever the split', () => {
  for (const src of STREAMED) {
    const whole = toHTML(src);
    for (let size = 1; size <= 12; size++) assert.equal(streamed(src, () => size).html, whole, `pieces of ${size}`);
    let seed = 7;
    const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return 1 + (seed % 40); };
    for (let run = 0; run < 50; run++) assert.equal(streamed(src, random).html, whole, `random run ${run}`);
    // Every split point: the text before it as one update, then the rest.
    for (let at = 0; at <= src.length; at++) {
      const s = new BlockStream();
      const first = s.update(src.slice(0, at)).done;
      assert.equal(toHTML([...first, ...s.update(src, true).done]), whole, `split at ${at}`);
    }
  }
});

test('streaming: no raw markdown syntax shows while the reply arrives', () => {
  const src = STREAMED[0].slice(0, STREAMED[0].indexOf('> quoted'));
  for (const html of streamed(src, () => 1).seen) {
    const visible = untag(html);
    assert.doesNotMatch(visible, /```|\*\*|\|\s*:?-{2,}|\]\(/, `raw syntax in ${JSON.stringify(visible.slice(-60))}`);
  }
  const s = new BlockStream();
  assert.equal(toHTML(s.update('| a | b |').open), toHTML('| a | b |\n|---|---|'), 'a header row alone is a table');
  assert.equal(toHTML(new BlockStream().update('```js\nlet x').open), toHTML('```js\nlet x\n```'), 'an open fence is a code block');
  assert.equal(toHTML(new BlockStream().update('Some **bo').open), '<p>Some <strong>bo</strong></p>');
  assert.equal(toHTML(new BlockStream().update('a `co').open), '<p>a <code>co</code></p>');
  assert.equal(toHTML(new BlockStream().update('see [the docs](https://exa').open), '<p>see the docs</p>');
});

test('streaming: the open tail stays small however long the reply grows', () => {
  const para = 'Lorem ipsum dolor sit amet, **consectetur** adipiscing elit.\n\n';
  const src = `${para.repeat(300)}| a | b |\n|---|---|\n${'| 1 | 2 |\n'.repeat(50)}\n${para.repeat(50)}`;
  const s = new BlockStream();
  let worst = 0;
  for (let i = 1; i <= src.length; i += 17) {
    s.update(src.slice(0, i));
    if (i < 18000 || i > src.length - 3000) worst = Math.max(worst, i - s.from);
  }
  assert.ok(worst < 3 * para.length, `the open tail reached ${worst} characters`);
});

test('math: $…$ inline and $$…$$ display become math nodes holding their TeX as text', () => {
  assert.equal(toHTML('Euler: $e^{i\\pi}+1=0$.'),
    '<p>Euler: <span class="math" data-tex="e^{i\\pi}+1=0">$e^{i\\pi}+1=0$</span>.</p>');
  assert.equal(toHTML('$$\n\\int_0^1 x\\,dx = \\frac12\n$$\n\nafter'),
    '<div class="math math-display" data-tex="\\int_0^1 x\\,dx = \\frac12">$$\\int_0^1 x\\,dx = \\frac12$$</div><p>after</p>');
  assert.equal(toHTML('$$ a^2 $$'), '<div class="math math-display" data-tex="a^2">$$a^2$$</div>');
  assert.equal(toHTML('in $$x^2$$ text'), '<p>in <span class="math math-display" data-tex="x^2">$$x^2$$</span> text</p>');
  assert.equal(dom('a $<img src=x onerror=alert(1)>$ b'),
    '<p>a <span class="math" data-tex="&#60;img src=x onerror=alert(1)&#62;">$&#60;img src=x onerror=alert(1)&#62;$</span> b</p>',
    'TeX is text and an attribute value, never markup');
});

test('math: money, escapes, code spans and spaced dollars stay text', () => {
  for (const src of ['It costs $5 and $10.', '$5/$6', 'price \\$5 and \\$x\\$', '$ x $', 'a $x $ b']) {
    assert.doesNotMatch(toHTML(src), /class="math/, src);
  }
  assert.equal(toHTML('`$x$`'), '<p><code>$x$</code></p>');
});

test('math: an unclosed $$ block (still streaming) stays TeX text, not typeset', () => {
  assert.equal(toHTML('$$\n\\sum_i'), '<div class="math math-display">$$\\sum_i</div>');
  const s = new BlockStream();
  const step = s.update('Intro.\n\n$$\n\\sum_i x_i\n');
  assert.ok(step.open.some((b) => b.type === 'math' && b.open), 'the open block is math, not yet typeset');
  const end = s.update('Intro.\n\n$$\n\\sum_i x_i\n$$\n', true);
  assert.deepEqual([...step.done, ...end.done].map((b) => b.type), ['paragraph', 'math']);
});
