// Typesets the math nodes markdown.js leaves ($…$, $$…$$) with KaTeX, loaded from
// /vendor/katex/ the first time a reply holds math, so pages without math never fetch it.

let loading = null;

function load() {
  loading ??= new Promise((resolve, reject) => {
    const css = Object.assign(document.createElement('link'), { rel: 'stylesheet', href: '/vendor/katex/katex.min.css' });
    const js = Object.assign(document.createElement('script'), { src: '/vendor/katex/katex.min.js' });
    js.onload = () => resolve(window.katex);
    js.onerror = () => { loading = null; reject(new Error('KaTeX did not load')); };
    document.head.append(css, js);
  });
  return loading;
}

/** Typesets every math element under `root` not typeset yet; the TeX stays as text if KaTeX fails to load. */
export async function typeset(root) {
  const todo = () => [...root.querySelectorAll('.math[data-tex]:not([data-typeset])')];
  if (!todo().length) return;
  let katex;
  try { katex = await load(); } catch { return; }
  for (const el of todo()) {
    // render() builds DOM nodes itself (no HTML parsing of the reply); trust:false refuses
    // \href, \includegraphics and the like, throwOnError:false shows bad TeX in red instead.
    katex.render(el.dataset.tex, el, { displayMode: el.classList.contains('math-display'), throwOnError: false, trust: false, maxSize: 10 });
    el.dataset.typeset = '';
  }
}
