() => {
  const main = document.querySelector("[data-testid='stMain']");
  const cut = [];
  const label = (el) => (el.innerText || el.getAttribute("aria-label") || el.tagName).trim().slice(0, 40);
  // text cut by ellipsis or overflow (buttons, metric values, tab labels, widget labels)
  // (a button's label is cut on its markdown container, which carries the ellipsis, not on the paragraph inside)
  for (const el of main.querySelectorAll("button p, button [data-testid='stMarkdownContainer'], [data-testid='stMetricValue'] div, [data-testid='stWidgetLabel'] p, [role='tab'] p")) {
    if (el.scrollWidth > el.clientWidth + 1) cut.push(["text", label(el), el.scrollWidth, el.clientWidth]);
  }
  // tables wider than their frame (a horizontal scroll hides columns)
  // (raw data meant to scroll sideways at any width sits in app_support.tables.wide_grid, keyed "wide_grid_...")
  for (const el of main.querySelectorAll("[data-testid='stDataFrame'] .dvn-scroller, [data-testid='stTable'], [data-testid='stMarkdownContainer'] table")) {
    if (el.closest("[class*='st-key-wide_grid']")) continue;
    const box = el.tagName === "TABLE" ? el.parentElement : el;
    if (el.scrollWidth > box.clientWidth + 2) cut.push(["table", label(el).split("\n")[0], el.scrollWidth, box.clientWidth]);
  }
  // tab lists that scroll (a tab hidden behind an arrow)
  for (const el of main.querySelectorAll("[role='tablist']")) {
    if (el.scrollWidth > el.clientWidth + 1) cut.push(["tabs", label(el).split("\n").join(" | "), el.scrollWidth, el.clientWidth]);
  }
  if (main.scrollWidth > main.clientWidth + 1) cut.push(["page", "main", main.scrollWidth, main.clientWidth]);
  return cut;
}
