() => {
  // What a user reads on the page, less code, inputs, charts and the raw-data grid: raw values that no person should
  // meet (finding 9 of issue #23). Returns [what, text] pairs.
  const main = document.querySelector("[data-testid='stMain']");
  const hits = [];
  const skip = "pre, code, textarea, input, script, style, .js-plotly-plot, [data-testid='stDataFrame']";
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (n.parentElement && n.parentElement.closest(skip)) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const numeric = [[/\d\.\d{6,}/, "a number with 6+ decimals"], [/\d[eE][+-]\d\d/, "exponent notation"],
                   [/\[\d+(?:\.\d+)?(?:, \d+(?:\.\d+)?)+\]|\['[^']*'(?:, '[^']*')*\]/, "a Python list"],
                   [/<class '|\banalysis\.[a-z_]+\.[A-Z]\w+/, "a Python object"]];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent;
    for (const [rx, what] of numeric) {
      const m = text.match(rx);
      if (m) hits.push([what, text.slice(Math.max(0, m.index - 30), m.index + m[0].length + 30)]);
    }
  }
  for (const el of main.querySelectorAll("td, th, [data-testid='stMetricValue']")) {
    if (el.closest(skip)) continue;
    const text = el.textContent.trim();
    if (/^(None|nan|NaN|NaT|<NA>|null|-0|-0\.0+|-0%)$/.test(text)) hits.push(["a raw missing value or minus zero", text]);
  }
  return hits;
}
