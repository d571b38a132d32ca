/*
 * session.js: the login page's script. YOUR FILE (LAB.md, step 5).
 *
 * What is a session? HTTP forgets you between requests: every request arrives
 * on its own, and nothing in it says "this is the same person as before". So,
 * to log in, this script sends your username to the server once. The server
 * starts a session: it makes up a long random secret (the session token),
 * writes down "this token belongs to this username" in its database, and sends
 * the token back. This script keeps the token in a cookie named `session`.
 * From then on the browser sends that cookie with every request to this site,
 * and the server looks the token up to know who you are. Logging out makes the
 * server forget the token, so it stops working.
 *
 * What happens here, step by step:
 *   1. You submit the form: we read the username you typed.
 *   2. We POST it as JSON to your session route (lab/src/controllers.rs).
 *   3. The server answers `{"token": "..."}`: we store the token in the cookie.
 *   4. We reload the home page `/`. This time the browser sends the cookie,
 *      so the server shows the chatroom instead of this form.
 *
 * To watch it: open the browser's developer tools (F12). The Console tab
 * shows the `console.log` lines below, the Network tab shows the request and
 * the answer, and Application (Chrome) or Storage (Firefox) > Cookies shows
 * the `session` cookie.
 */

// The function wraps everything, so that the names below stay inside this file.
(function () {
  "use strict";

  const form = document.getElementById("login-form");
  const input = document.getElementById("username");
  const button = form.querySelector("button[type=submit]");
  const errorBox = document.getElementById("login-error");

  // How long the browser keeps the cookie, in seconds: as long as the server
  // keeps the session. The page puts it on <body data-session-max-age="...">.
  const maxAge = Number(document.body.dataset.sessionMaxAge);

  function showError(message) {
    console.error("session.js:", message);
    // textContent shows the text as it is: it never runs it as HTML.
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function hideError() {
    errorBox.textContent = "";
    errorBox.hidden = true;
  }

  // "404 Not Found": the status code and its usual meaning.
  function statusLine(response) {
    return (response.status + " " + response.statusText).trim();
  }

  // Step 1: runs when the form is submitted (the button, or Enter in the field).
  form.addEventListener("submit", async function (event) {
    // Without this, the browser would send the form itself and load a new page.
    event.preventDefault();
    hideError();

    // The username without spaces around it.
    const username = input.value.trim();
    console.log("session.js: sending the username", username);

    // No second click while the first request is on its way.
    button.disabled = true;
    try {
      const response = await requestSession(username);
      console.log("session.js: the server answered", statusLine(response));
      await handleAnswer(response);
    } catch (error) {
      // `fetch` throws a TypeError when there is no answer at all.
      if (error instanceof TypeError) {
        showError("Could not reach the server. Is it running?");
      } else {
        showError("session.js failed: " + error.message + " (the console shows where)");
      }
      console.error(error);
    } finally {
      button.disabled = false;
    }
  });

  // Step 2: asks the server to start a session for `username`.
  // `fetch` sends an HTTP request and waits (`await`) for the answer.
  async function requestSession(username) {
    // The route in controllers.rs, and the JSON body it reads.
    const query = new URLSearchParams({ name: username });
    const response = await fetch("/api/session/new?" + query.toString());
    return response;
  }

  // Step 3: reads the server's answer and, if it has a token, stores it.
  async function handleAnswer(response) {
    // Read the body as text first, so we can show it even if it is not JSON.
    const text = await response.text();
    console.log("session.js: the body of the answer is", text);
    let data = null;
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON: `data` stays null, and the checks below say what is wrong.
    }

    // response.ok is true for the statuses 200 to 299 ("it worked").
    if (!response.ok) {
      // The server's errors are JSON: {"error": "what is wrong"}.
      if (data !== null && typeof data.error === "string") {
        showError(data.error);
      } else {
        showError("The server answered " + statusLine(response));
      }
      return;
    }

    if (data === null || typeof data.token !== "string" || data.token === "") {
      showError(
        "The server answered " + statusLine(response) + ' but its body has no "token": ' +
          'expected JSON like {"token": "..."}; got: ' + (text.slice(0, 200) || "an empty body"),
      );
      return;
    }
    const token = data.token;
    console.log("session.js: token received", token);

    // Keep the token in the `session` cookie. `Path=/` sends it with every
    // request to this site, `SameSite=Lax` keeps other sites' pages from
    // sending it along, and `Max-Age` is how many seconds it lasts.
    document.cookie = "session=" + token + "; Path=/; SameSite=Lax; Max-Age=" + maxAge;
    console.log("session.js: stored the cookie; document.cookie is now", document.cookie);

    // Step 4: load the home page again; the server now sees the cookie.
    window.location.assign("/");
  }
})();
