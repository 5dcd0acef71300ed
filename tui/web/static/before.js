// Before the terminal's bundle: draw at one CSS pixel per device pixel (xterm.js draws too
// large at a device pixel ratio of 2, every tablet, and the right half is cut off), and keep
// the reason a session was closed (another tab took over, the app could not start) to show it.
"use strict";
Object.defineProperty(window, "devicePixelRatio", { get: () => 1, configurable: true });
(function () {
  const Native = window.WebSocket;
  function Watched(url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    socket.addEventListener("close", (event) => {
      if (event.reason) {
        document.getElementById("closed-reason").textContent = event.reason;
      }
    });
    return socket;
  }
  Watched.prototype = Native.prototype;
  Object.assign(Watched, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket = Watched;
})();
