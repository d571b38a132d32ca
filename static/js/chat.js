/*
 * chat.js: the chat page's script (given: you do not need to change it).
 *
 * Every request it makes carries the `session` cookie, which session.js
 * stored: that is how the server knows who is asking. If the session is gone
 * (logged out elsewhere, expired), the API answers 401 and we go back to `/`,
 * which shows the login form.
 *
 *   - history: GET  /api/rooms/ROOM/messages?limit=50 (and &before=ID for older ones)
 *   - live:    GET  /api/rooms/ROOM/events (Server-Sent Events, one per new message)
 *   - send:    POST /api/rooms/ROOM/messages with {"body": "..."}
 *   - logout:  DELETE /api/session
 */

(function () {
  "use strict";

  // How many messages one page of history holds.
  const PAGE_SIZE = 50;

  const chat = document.getElementById("chat");
  const room = chat.dataset.room;
  const username = chat.dataset.username;
  const roomUrl = "/api/rooms/" + encodeURIComponent(room);

  const list = document.getElementById("messages");
  const scroller = document.getElementById("message-scroller");
  const loadOlderButton = document.getElementById("load-older");
  const errorBox = document.getElementById("chat-error");
  const form = document.getElementById("message-form");
  const textarea = document.getElementById("message-input");
  const sendButton = form.querySelector("button[type=submit]");
  const logoutButton = document.getElementById("logout");

  // The ids of the messages on the page: a message can arrive twice (as the
  // answer to our own POST and as a live event), but is shown once.
  const shown = new Set();

  // ---------- Errors ----------

  function showError(message) {
    // The error box takes room from the list: keep the newest message in view.
    const follow = isAtBottom();
    errorBox.textContent = message;
    errorBox.hidden = false;
    if (follow) {
      scrollToBottom();
    }
  }

  function hideError() {
    errorBox.textContent = "";
    errorBox.hidden = true;
  }

  // The API's errors are JSON: {"error": "..."}. Returns that text.
  async function errorMessage(response) {
    try {
      const data = await response.json();
      if (typeof data.error === "string") {
        return data.error;
      }
    } catch {
      // Not JSON: fall through to the status line.
    }
    return ("The server answered " + response.status + " " + response.statusText).trim();
  }

  // A request that failed: 401 means the session is gone, so back to the login form.
  async function reportFailure(response) {
    if (response.status === 401) {
      window.location.assign("/");
      return;
    }
    showError(await errorMessage(response));
  }

  // ---------- Showing messages ----------

  // Just the time for today's messages ("14:05" or "2:05 PM", as the browser's
  // language writes it), the date too for older ones.
  function formatTime(date) {
    const today = new Date().toDateString() === date.toDateString();
    const options = today
      ? { hour: "numeric", minute: "2-digit" }
      : { dateStyle: "medium", timeStyle: "short" };
    return date.toLocaleString(undefined, options);
  }

  // Builds <li class="message"> for one message. Everything the users wrote goes
  // in with textContent, so a message can never inject HTML into the page.
  function renderMessage(message) {
    const item = document.createElement("li");
    item.className = "message";
    item.dataset.id = String(message.id);
    if (message.author === username) {
      item.classList.add("mine");
    }

    const meta = document.createElement("div");
    meta.className = "message-meta";

    const author = document.createElement("span");
    author.className = "author";
    author.textContent = message.author;

    const date = new Date(message.created_at * 1000);
    const time = document.createElement("time");
    time.dateTime = date.toISOString();
    time.title = date.toLocaleString();
    time.textContent = formatTime(date);

    const body = document.createElement("p");
    body.className = "body";
    body.textContent = message.body;

    meta.append(author, time);
    item.append(meta, body);
    return item;
  }

  // Puts a message in the list, in id order, unless it is already there.
  // Returns whether it was added.
  function insertMessage(message) {
    if (shown.has(message.id)) {
      return false;
    }
    shown.add(message.id);
    const item = renderMessage(message);

    // Usually the message is the newest (goes last) or from an older page (goes first).
    let next = null;
    const first = list.firstElementChild;
    if (first !== null && message.id < Number(first.dataset.id)) {
      next = first;
    } else {
      for (let other = list.lastElementChild; other !== null; other = other.previousElementSibling) {
        if (Number(other.dataset.id) < message.id) {
          break;
        }
        next = other;
      }
    }
    list.insertBefore(item, next);
    return true;
  }

  // Whether the list is scrolled (nearly) all the way down.
  function isAtBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  }

  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  // Adds new messages. Follows them down if the reader was at the bottom, or
  // if one is ours; someone reading older messages is not pulled away.
  function addNewMessages(messages) {
    const follow = isAtBottom();
    let added = false;
    let ours = false;
    for (const message of messages) {
      if (insertMessage(message)) {
        added = true;
        ours = ours || message.author === username;
      }
    }
    if (added && (follow || ours)) {
      scrollToBottom();
    }
  }

  // ---------- History ----------

  // Fetches one page of history (oldest first). `before` is a message id or null.
  // Returns the messages, or null after reporting a failure.
  async function fetchPage(before) {
    let url = roomUrl + "/messages?limit=" + PAGE_SIZE;
    if (before !== null) {
      url += "&before=" + before;
    }
    const response = await fetch(url);
    if (!response.ok) {
      await reportFailure(response);
      return null;
    }
    const data = await response.json();
    return data.messages;
  }

  // A full page means there may be more before it.
  function updateLoadOlder(page) {
    loadOlderButton.hidden = page.length < PAGE_SIZE;
  }

  // aria-busy keeps screen readers from reading out a whole page of history.
  async function loadLatest() {
    list.setAttribute("aria-busy", "true");
    try {
      const page = await fetchPage(null);
      if (page !== null) {
        for (const message of page) {
          insertMessage(message);
        }
        updateLoadOlder(page);
        scrollToBottom();
      }
    } catch (error) {
      showError("Could not load the messages: " + error.message);
    } finally {
      list.setAttribute("aria-busy", "false");
    }
  }

  async function loadOlder() {
    const oldest = list.firstElementChild;
    if (oldest === null) {
      return;
    }
    loadOlderButton.disabled = true;
    list.setAttribute("aria-busy", "true");
    try {
      const page = await fetchPage(Number(oldest.dataset.id));
      if (page !== null) {
        // Keep the messages on screen where they are while older ones go above them.
        const distanceFromBottom = scroller.scrollHeight - scroller.scrollTop;
        for (const message of page) {
          insertMessage(message);
        }
        scroller.scrollTop = scroller.scrollHeight - distanceFromBottom;
        updateLoadOlder(page);
      }
    } catch (error) {
      showError("Could not load older messages: " + error.message);
    } finally {
      loadOlderButton.disabled = false;
      list.setAttribute("aria-busy", "false");
    }
  }

  // ---------- Live updates ----------

  // The server pushes each new message of this room as a `message` event whose
  // data is the message's JSON. The browser reconnects by itself after a network
  // hiccup; after a refusal (401: session gone) it gives up and we go to `/`.
  function listenForMessages() {
    const source = new EventSource(roomUrl + "/events");
    let connectedBefore = false;

    source.addEventListener("open", function () {
      // Says "live updates are on" to anyone looking (the grader waits for it).
      chat.dataset.live = "connected";
      // Back after a break: fetch what was posted in the meantime.
      if (connectedBefore) {
        fetchPage(null)
          .then(function (page) {
            if (page !== null) {
              addNewMessages(page);
            }
          })
          .catch(function (error) {
            showError("Could not catch up on new messages: " + error.message);
          });
      }
      connectedBefore = true;
    });

    source.addEventListener("message", function (event) {
      addNewMessages([JSON.parse(event.data)]);
    });

    // The session ended (logout in another tab, expiry): the server says why
    // and closes the stream. Reconnecting would only be refused.
    source.addEventListener("end", function () {
      source.close();
      chat.dataset.live = "closed";
      showError("Your session has ended. Log in again to keep chatting.");
      checkSession();
    });

    source.addEventListener("error", function () {
      chat.dataset.live = source.readyState === EventSource.CLOSED ? "closed" : "reconnecting";
      if (source.readyState === EventSource.CLOSED) {
        showError("Live updates stopped. Reload the page to see new messages.");
        checkSession();
      }
    });
  }

  // Goes back to `/` if the session is gone (GET /api/me answers 401).
  async function checkSession() {
    try {
      const response = await fetch("/api/me");
      if (response.status === 401) {
        window.location.assign("/");
      }
    } catch {
      // No answer: the error shown above already says what to do.
    }
  }

  // ---------- Sending ----------

  async function sendMessage(event) {
    event.preventDefault();
    hideError();
    sendButton.disabled = true;
    try {
      const response = await fetch(roomUrl + "/messages", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ body: textarea.value }),
      });
      if (response.status === 201) {
        addNewMessages([await response.json()]);
        textarea.value = "";
      } else {
        await reportFailure(response);
      }
    } catch (error) {
      showError("Could not reach the server: " + error.message);
    } finally {
      sendButton.disabled = false;
      textarea.focus();
    }
  }

  // Enter sends; Shift+Enter adds a new line (the textarea's usual Enter).
  // While an input method is composing (Chinese, Japanese...), Enter is theirs.
  function onTextareaKey(event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (!sendButton.disabled) {
        form.requestSubmit();
      }
    }
  }

  // ---------- Logout ----------

  // Ends the session on the server, drops the cookie here, and goes back to `/`.
  async function logOut() {
    logoutButton.disabled = true;
    try {
      // 204 (ended) and 401 (already gone) both mean: logged out.
      await fetch("/api/session", { method: "DELETE" });
    } catch (error) {
      showError("Could not reach the server: " + error.message);
      logoutButton.disabled = false;
      return;
    }
    document.cookie = "session=; Path=/; Max-Age=0; SameSite=Lax";
    window.location.assign("/");
  }

  // ---------- Start ----------

  form.addEventListener("submit", sendMessage);
  textarea.addEventListener("keydown", onTextareaKey);
  loadOlderButton.addEventListener("click", loadOlder);
  logoutButton.addEventListener("click", logOut);

  listenForMessages();
  loadLatest();
})();
