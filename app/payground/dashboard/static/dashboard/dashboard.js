// Payground dashboard: small progressive enhancements. Every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // The show-once dialog arrives open; reopen it as a modal so focus stays inside it.
  document.querySelectorAll("dialog[data-show-modal]").forEach(function (dialog) {
    // The .env download: the browser records a download's address in its history (the
    // Downloads page), and a data: address holds the keys themselves. A blob: address holds
    // none of the file; the data: one stays only for a browser without this script.
    var blobs = [];
    dialog.querySelectorAll("a[download][href^='data:']").forEach(function (link) {
      var href = link.getAttribute("href");
      var text = decodeURIComponent(href.slice(href.indexOf(",") + 1));
      var url = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
      blobs.push(url);
      link.setAttribute("href", url);
    });
    // Once closed, the secret leaves the page too: nothing left to find in the DOM later.
    // (The close() just below queues a close event too: it finds the dialog open again.)
    dialog.addEventListener("close", function () {
      if (!dialog.open) {
        dialog.remove();
        blobs.forEach(function (url) { URL.revokeObjectURL(url); });
      }
    });
    if (typeof dialog.showModal === "function") {
      dialog.close();
      dialog.showModal();
      var first = dialog.querySelector("[data-secret]");
      if (first) { first.focus(); first.select(); }
    }
  });

  // Copy buttons: the target input's value, or the button's own data-copy-text.
  document.querySelectorAll(".copy-button").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = button.dataset.copyTarget && document.getElementById(button.dataset.copyTarget);
      var text = target ? target.value : button.dataset.copyText;
      var status = (button.closest("dialog") || document).querySelector(".copy-status");
      copy(text, target).then(function () {
        button.textContent = "Copied";
        if (status) { status.textContent = "Copied to the clipboard."; }
      }, function () {
        if (target) { target.focus(); target.select(); }
        if (status) { status.textContent = "Press Ctrl+C (or ⌘C) to copy the selected key."; }
      });
    });
  });

  // The permission matrix only matters for restricted keys.
  var form = document.querySelector("form.create-key");
  if (form) {
    var matrix = form.querySelector("[data-restricted-only]");
    var sync = function () {
      var kind = form.querySelector("input[name=type]:checked");
      matrix.hidden = !kind || kind.value !== "restricted";
    };
    form.querySelectorAll("input[name=type]").forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  }

  // A form is sent once: a double click (or Enter pressed twice) would send it twice, and
  // the browser would show the second answer - "Form already sent" - instead of the first,
  // which held the new secret. Later sendings are stopped, and the buttons disabled until the
  // answer comes. Disabled a moment after the submit, not during it: a disabled button's
  // name and value (the Test/Live switch's) would not be sent. Without this script the
  // server's one-time form nonces still make the second sending do nothing.
  document.querySelectorAll("form").forEach(function (form) {
    if (form.method !== "post") { return; }  // not the dialog's "close" form
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-sent")) { event.preventDefault(); return; }
      form.setAttribute("data-sent", "");
      form.setAttribute("aria-busy", "true");
      window.setTimeout(function () { setButtons(form, true); }, 0);
    });
  });
  // Back to a page the browser kept whole (its back-forward cache): its forms work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      form.removeAttribute("aria-busy");
      setButtons(form, false);
    });
  });

  // A click anywhere on a request-log row opens the request (the link stays for keyboards).
  document.querySelectorAll("tr[data-href]").forEach(function (row) {
    row.addEventListener("click", function (event) {
      if (event.target.closest("a, button, input, select")) { return; }
      window.location.assign(row.dataset.href);
    });
  });
});

function setButtons(form, disabled) {
  form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]")
    .forEach(function (button) { button.disabled = disabled; });
}

function copy(text, input) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  return new Promise(function (resolve, reject) {
    if (!input) { reject(new Error("nothing to select")); return; }
    input.focus();
    input.select();
    try {
      if (document.execCommand("copy")) { resolve(); } else { reject(new Error("copy refused")); }
    } catch (err) { reject(err); }
  });
}
