"""Layout and accessibility checks run inside a page: sideways overflow, wrapped buttons, axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = next((Path(__file__).resolve().parents[2] / "static" / "vendor").glob("axe-core-*/axe.min.js"))

# Elements that stick out of their parent sideways (a clipping or scrolling parent is fine: that is
# what .table-responsive is for), block elements whose own text is wider than they are, and the
# page itself being wider than the window.
OVERFLOW_JS = r"""
() => {
  const found = [];
  const describe = (e) => {
    let s = e.tagName.toLowerCase();
    if (e.id) s += '#' + e.id;
    if (e.classList.length) s += '.' + [...e.classList].slice(0, 3).join('.');
    return s + ' "' + (e.innerText || '').replace(/\s+/g, ' ').trim().slice(0, 30) + '"';
  };
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) found.push('page: ' + root.scrollWidth + 'px wide in a ' + window.innerWidth + 'px window');
  for (const e of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(e);
    if (style.display === 'none' || style.visibility === 'hidden' || style.position === 'fixed' || style.position === 'absolute') continue;
    if (e.closest('.visually-hidden, .visually-hidden-focusable, .dropdown-menu, .modal, [hidden], canvas, svg, .ipplan-chart')) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const p = e.parentElement;
    if (p && p !== document.body) {
      const ps = getComputedStyle(p);
      if (!['auto', 'scroll', 'hidden', 'clip'].includes(ps.overflowX)) {
        const pr = p.getBoundingClientRect();
        // a grid row's negative margins reach into its container's padding by design
        const slackRight = 1 + Math.max(0, -parseFloat(style.marginRight) || 0);
        const slackLeft = 1 + Math.max(0, -parseFloat(style.marginLeft) || 0);
        if (r.right > pr.right + slackRight || r.left < pr.left - slackLeft) found.push(describe(e) + ' sticks out of ' + describe(p) + ` by ${Math.round(Math.max(r.right - pr.right, pr.left - r.left))}px`);
      }
    }
    if (style.display !== 'inline' && style.overflowX === 'visible' && e.scrollWidth > e.clientWidth + 8 && e.clientWidth > 0) found.push(describe(e) + ` content ${e.scrollWidth}px in ${e.clientWidth}px`);
  }
  return [...new Set(found)].slice(0, 20);
}
"""

# Buttons, menu entries and badges whose label runs over more than one line.
WRAPPED_BUTTONS_JS = """
() => {
  const found = [];
  for (const b of document.querySelectorAll('button, .btn, [role=button], .nav-link, .badge, .navbar-brand')) {
    const style = getComputedStyle(b);
    if (style.display === 'none' || style.visibility === 'hidden' || b.closest('.dropdown-menu')) continue;
    if (b.getBoundingClientRect().width === 0) continue;
    const lines = [];  // a rect that overlaps no line seen so far vertically starts a new line
    const walker = document.createTreeWalker(b, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim() || node.parentElement.closest('.visually-hidden')) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) {
        if (rect.width === 0 || rect.height === 0) continue;
        const line = lines.find((l) => rect.top < l.bottom - 2 && rect.bottom > l.top + 2);
        if (line) { line.top = Math.min(line.top, rect.top); line.bottom = Math.max(line.bottom, rect.bottom); }
        else lines.push({top: rect.top, bottom: rect.bottom});
      }
    }
    if (lines.length > 1) found.push((b.id ? '#' + b.id + ' ' : '') + '"' + b.innerText.trim().slice(0, 30) + '"');
  }
  return found;
}
"""


def layout_problems(page: Any) -> list[str]:
    """Everything on ``page`` that overflows sideways or wraps inside a button."""
    return list(page.evaluate(OVERFLOW_JS)) + [
        f"wrapped button {b}" for b in page.evaluate(WRAPPED_BUTTONS_JS)
    ]


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of ``impacts`` on ``page``, served from the vendored file."""
    if not page.evaluate("() => !!window.axe"):  # served by the site itself, so CSP allows it
        page.add_script_tag(url=f"/static/vendor/{AXE.parent.name}/axe.min.js")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in result if v["impact"] in impacts
    ]


FOCUS_JS = """
() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== 'none');
  const r = e.getBoundingClientRect();
  return {name: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' "' + (e.innerText || e.value || '').trim().slice(0, 20) + '"',
          ring: ring, visible: r.width > 0 && r.height > 0};
}
"""


def unfocusable_steps(page: Any, steps: int = 8) -> list[str]:
    """Tab through the first ``steps`` stops of ``page``: each must show where the focus is."""
    found = []
    for _ in range(steps):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_JS)
        if state and not (state["ring"] and state["visible"]):
            found.append(f"focus not visible on {state['name']}")
    return found
