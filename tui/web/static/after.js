// After the terminal's bundle: wait for the bundled font before the terminal measures its
// cells (a fallback font's width would size the grid wrong).
"use strict";
(function () {
  const start = window.onload;
  window.onload = async (event) => {
    try {
      await document.fonts.load("16px 'Roboto Mono'");
    } finally {
      start(event);
    }
  };
})();
