// Progressive enhancement only: every page works without this file.
// 1. The live quote preview on "Post a task": refreshed from the server as the client types.
// 2. A task page's status (the client's or the tasker's): polled until the task reaches an end state.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function livePreview(form) {
    var target = document.getElementById("quote-preview");
    if (!target) return;
    var seq = 0;
    var refresh = debounce(function () {
      var params = new URLSearchParams(new FormData(form));
      params.delete("csrf_token");
      var mine = ++seq;
      fetch(form.dataset.previewUrl + "?" + params.toString(), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { if (mine === seq) target.innerHTML = html; })
        .catch(function () { /* keep the last preview; the button still works */ });
    }, 250);
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
  }

  function pollStatus(box) {
    var url = box.dataset.poll;
    if (!url) return;
    setTimeout(function () {
      fetch(url, {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.firstElementChild;
          var was = box.querySelector("[data-status]").dataset.status;
          var now = fresh.querySelector("[data-status]").dataset.status;
          if (was !== now) {
            window.location.reload();  // the booking, cancel and review sections change too
            return;
          }
          box.replaceWith(fresh);
          pollStatus(fresh);
        })
        .catch(function (status) {
          if (status === 404 || status === 403) return;  // no longer theirs to follow: stop asking
          pollStatus(box);
        });
    }, 2000);
  }

  // 3. Paying on the task page with Stripe.js card Elements: the card goes from the browser to
  //    Stripe; this server only sees a token, and asks for 3-D Secure when the bank wants it.
  function stripePayment(form) {
    if (!form.dataset.stripeKey || typeof window.Stripe !== "function") return;
    var stripe = window.Stripe(form.dataset.stripeKey);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var errors = document.getElementById("card-errors");
    var csrf = form.querySelector("[name=csrf_token]").value;

    function post(url, fields) {
      var body = new FormData();
      body.append("csrf_token", csrf);
      Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
      return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                         headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errors.textContent = "";
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      stripe.createToken(card).then(function (result) {
        if (result.error) throw new Error(result.error.message || "Check your card details.");
        return post(form.action, {token: result.token.id});
      }).then(function (answer) {
        if (!answer.ok) throw new Error(answer.message);
        if (!answer.client_secret) return answer;
        return stripe.confirmCardPayment(answer.client_secret).then(function () {
          return post(answer.sync, {});
        });
      }).then(function (answer) {
        if (!answer.ok) throw new Error(answer.message);
        window.location.reload();
      }).catch(function (error) {
        errors.textContent = error.message;
        button.disabled = false;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var pay = document.getElementById("pay-form");
    if (pay) stripePayment(pay);
    var form = document.getElementById("task-form");
    if (form) livePreview(form);
    // A task's status box: the client's page or the tasker's (the same fragment protocol).
    var box = document.getElementById("task-status") || document.getElementById("work-status") ||
      document.getElementById("export-status");  // a data archive being built (/account/data)
    if (box) pollStatus(box);
  });
})();
