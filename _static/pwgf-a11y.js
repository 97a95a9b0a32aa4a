/* Accessible names of the theme's buttons (pydata-sphinx-theme 0.16 through
   sphinx-book-theme; tests/test_accessibility.py runs axe-core's
   label-content-name-mismatch rule, WCAG 2.5.3 "Label in Name"):
   - the search field button shows "Search Ctrl+K" but is named "Search" by its
     aria-label: a speech user saying what they see would not reach it. Its
     name is taken from what it shows instead (the aria-label is removed only
     where the button shows text; the icon-only search button keeps it);
   - the colour-mode button is named "Color mode" but its icons carry titles
     ("Light", "Dark", "System Settings") that count as its content: the icons
     are marked decorative, the button keeps its name;
   - myst-nb's collapsed cells (tag hide-input) show "Show code cell source" in
     a <summary> named "Toggle hidden content" by its aria-label: the label is
     removed, so the summary is named by the text it shows.
   Font Awesome turns the <i> icons into <svg> after load, so this runs again
   when the buttons' content changes. */
(function () {
  "use strict";
  function fix(root) {
    root.querySelectorAll("details.hide > summary[aria-label]").forEach(function (summary) {
      if (summary.textContent.trim()) {
        summary.removeAttribute("aria-label");
      }
    });
    root.querySelectorAll("button.search-button__button").forEach(function (button) {
      if (button.querySelector(".search-button__default-text")) {
        button.removeAttribute("aria-label");
      }
    });
    root.querySelectorAll("button.theme-switch-button svg, button.theme-switch-button i")
      .forEach(function (icon) {
        icon.setAttribute("aria-hidden", "true");
        icon.removeAttribute("aria-labelledby");
        icon.removeAttribute("role");
        icon.querySelectorAll("title").forEach(function (title) { title.remove(); });
      });
  }
  function start() {
    fix(document);
    new MutationObserver(function (records) {
      if (records.some(function (r) {
        return r.target.closest && r.target.closest("button.theme-switch-button, button.search-button__button");
      })) {
        fix(document);
      }
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
