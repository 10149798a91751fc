// Inkwell's web client: plain JavaScript, no build step, every call through the gateway's /api.
// Views are chosen by the URL's hash (#/posts/12); /reset-password?token=... is the reset email's link.

const PAGE_SIZE = 10;
const PICTURE_TYPES = ["image/png", "image/jpeg", "image/webp"];
const PICTURE_MAX_BYTES = 5 * 1024 * 1024; // media's MAX_UPLOAD_BYTES default; the server checks too
const main = document.getElementById("main");
const statusBox = document.getElementById("status");

// ------------------------------------------------------------------ small DOM helpers
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

let fieldCount = 0;

function field(label, input, hint) {
  // The label names the input; a hint describes it (so "City" stays the input's name).
  input.id ||= `field-${++fieldCount}`;
  const hintBox = hint ? h("span", { class: "hint", id: `${input.id}-hint` }, hint) : null;
  if (hintBox) {
    const described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", described ? `${described} ${hintBox.id}` : hintBox.id);
  }
  return h("div", { class: "field" }, h("label", { for: input.id }, label), hintBox, input);
}

let next = null;

function sayNext(message, kind = "ok") {
  // For the view a navigation is about to open (messages are cleared on every navigation).
  next = [message, kind];
}

function say(message, kind = "ok") {
  statusBox.className = `status ${kind === "error" ? "error" : ""}`;
  statusBox.textContent = message;
}

function render(title, ...content) {
  document.title = `${title} · Inkwell`;
  main.replaceChildren(h("h1", {}, title), ...content);
  main.focus();
}

function screen() {
  // A view's own render: it draws only while the address is still the one the view was opened
  // for (a slow answer for a page the user already left must not replace the new one).
  const href = location.href;
  return (...args) => { if (location.href === href) render(...args); };
}

function when(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// ------------------------------------------------------------------ session and API
const session = {
  get access() { return localStorage.getItem("inkwell.access"); },
  get refresh() { return localStorage.getItem("inkwell.refresh"); },
  get user() { return JSON.parse(localStorage.getItem("inkwell.user") || "null"); },
  save(tokens) {
    localStorage.setItem("inkwell.access", tokens.access_token);
    if (tokens.refresh_token) localStorage.setItem("inkwell.refresh", tokens.refresh_token);
  },
  remember(user) { localStorage.setItem("inkwell.user", JSON.stringify(user)); },
  clear() {
    for (const key of ["inkwell.access", "inkwell.refresh", "inkwell.user"]) localStorage.removeItem(key);
  },
};

class ApiError extends Error {
  constructor(status, detail) {
    super(describe(status, detail));
    this.status = status;
  }
}

function describe(status, detail) {
  if (Array.isArray(detail)) {
    // FastAPI's 422: [{loc: ["body", "title"], msg: "..."}]
    return detail.map((d) => `${(d.loc || []).filter((p) => p !== "body").join(".")}: ${d.msg}`).join("; ");
  }
  if (typeof detail === "string") return detail;
  return `The server answered ${status}`;
}

async function request(method, path, { json, form, auth = true } = {}) {
  const headers = {};
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  if (auth && session.access) headers.Authorization = `Bearer ${session.access}`;
  return fetch(path, { method, headers, body });
}

let refreshing = null;

async function refreshTokens() {
  // Only when the accounts service issues refresh tokens; a 404 there means it does not.
  if (!session.refresh) return false;
  refreshing ??= request("POST", "/api/auth/refresh", { json: { refresh_token: session.refresh }, auth: false })
    .then(async (response) => {
      if (!response.ok) return false;
      session.save(await response.json());
      return true;
    })
    .catch(() => false)
    .finally(() => { refreshing = null; });
  return refreshing;
}

async function api(method, path, options = {}) {
  let response = await request(method, path, options);
  if (response.status === 401 && options.auth !== false && session.access) {
    if (await refreshTokens()) response = await request(method, path, options);
    if (response.status === 401) {
      session.clear();
      renderNav();
      throw new ApiError(401, "Your session has ended; please log in again");
    }
  }
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, data && data.detail);
  return data;
}

async function logIn(username, password) {
  session.save(await api("POST", "/api/auth/login", { json: { username, password }, auth: false }));
  session.remember(await api("GET", "/api/users/me"));
}

async function logOut() {
  if (session.refresh) {
    // Revokes the refresh token where the API can; without that endpoint, forgetting it is enough.
    await request("POST", "/api/auth/logout", { json: { refresh_token: session.refresh } }).catch(() => null);
  }
  session.clear();
  renderNav();
  sayNext("You are logged out.");
  go("#/");
}

// ------------------------------------------------------------------ theme (kept in this browser)
function applyTheme(theme = localStorage.getItem("inkwell.theme") || "system") {
  document.documentElement.dataset.theme = theme;
}

// ------------------------------------------------------------------ navigation
function renderNav() {
  const user = session.user;
  const links = user
    ? [["#/", "Feed"], ["#/write", "Write"], ["#/weather", "Weather"], ["#/profile", "Profile"], ["#/settings", "Settings"]]
    : [["#/", "Feed"], ["#/login", "Log in"], ["#/signup", "Sign up"]];
  const current = location.pathname === "/" ? location.hash || "#/" : "";
  const items = links.map(([href, text]) =>
    h("li", {}, h("a", { href, "aria-current": href === current ? "page" : null }, text)));
  if (user) items.push(h("li", {}, h("button", { class: "secondary", type: "button", onclick: logOut }, `Log out (${user.username})`)));
  document.getElementById("nav").replaceChildren(...items);
}

function needLogin() {
  if (session.access) return false;
  sayNext("Please log in first.", "error");
  go("#/login");
  return true;
}

function submitting(form, handler) {
  // Runs handler(values) on submit; shows its error in the status box and keeps the form.
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await handler(Object.fromEntries(new FormData(form)));
    } catch (error) {
      say(error.message, "error");
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// ------------------------------------------------------------------ views
function avatar(userId, big = false) {
  const img = h("img", { class: big ? "avatar big" : "avatar", alt: "", src: `/api/users/${userId}/profile-picture` });
  // No picture yet (404): hidden until one loads.
  img.addEventListener("error", () => { img.hidden = true; });
  img.addEventListener("load", () => { img.hidden = false; });
  return img;
}

function postCard(post) {
  return h("li", { class: "post-card" },
    h("h2", {}, h("a", { href: `#/posts/${post.id}` }, post.title)),
    h("p", { class: "meta byline" }, avatar(post.author.id), `${post.author.username} · ${when(post.date_posted)}`),
    h("p", {}, post.content.length > 200 ? `${post.content.slice(0, 200)}…` : post.content));
}

async function feedView(params) {
  const show = screen();
  // Pages by cursor when the API gives one (next_cursor), else by skip/limit.
  const cursor = params.get("cursor");
  const skip = Number(params.get("skip") || 0);
  const query = new URLSearchParams({ limit: PAGE_SIZE });
  if (cursor) query.set("cursor", cursor); else query.set("skip", skip);
  const page = await api("GET", `/api/posts?${query}`, { auth: false });
  const pager = h("nav", { class: "pager", "aria-label": "Pages" });
  const back = params.get("back");
  if (cursor || skip > 0) {
    const previous = cursor ? (back ? `#/?${back}` : "#/") : `#/?skip=${Math.max(0, skip - PAGE_SIZE)}`;
    pager.append(h("a", { class: "button", href: previous }, "← Newer posts"));
  } else pager.append(h("span"));
  if (page.next_cursor) {
    const here = new URLSearchParams(cursor ? { cursor } : {}).toString();
    pager.append(h("a", { class: "button", href: `#/?${new URLSearchParams({ cursor: page.next_cursor, back: here })}` }, "Older posts →"));
  } else if (page.has_more) {
    pager.append(h("a", { class: "button", href: `#/?skip=${skip + PAGE_SIZE}` }, "Older posts →"));
  }
  const shown = page.items.length
    ? h("ul", { class: "posts", "aria-label": "Posts" }, page.items.map(postCard))
    : h("p", {}, "No posts yet.", session.user ? [" ", h("a", { href: "#/write" }, "Write the first one.")] : "");
  const summary = page.total != null && page.items.length
    ? h("p", { class: "meta" }, `Posts ${skip + 1}–${skip + page.items.length} of ${page.total}`)
    : null;
  show("Latest posts", cursor ? null : summary, shown, pager);
}

async function postView(id) {
  const show = screen();
  const post = await api("GET", `/api/posts/${id}`, { auth: false });
  const mine = session.user && session.user.id === post.author.id;
  const edited = post.updated_at !== post.date_posted ? ` · edited ${when(post.updated_at)}` : "";
  const actions = mine
    ? h("div", { class: "row" },
      h("a", { class: "button", href: `#/posts/${id}/edit` }, "Edit"),
      h("button", {
        class: "danger", type: "button", onclick: async () => {
          if (!confirm("Delete this post? This cannot be undone.")) return;
          try {
            await api("DELETE", `/api/posts/${id}`);
            sayNext("Post deleted.");
            go("#/");
          } catch (error) { say(error.message, "error"); }
        },
      }, "Delete"))
    : null;
  show(post.title,
    h("p", { class: "meta byline" }, avatar(post.author.id), `${post.author.username} · ${when(post.date_posted)}${edited}`),
    h("article", { class: "body" }, post.content),
    actions);
}

async function editorView(id) {
  const show = screen();
  if (needLogin()) return;
  const post = id ? await api("GET", `/api/posts/${id}`, { auth: false }) : { title: "", content: "" };
  const form = h("form", { class: "stack" },
    field("Title", h("input", { name: "title", required: true, maxlength: 200, value: post.title })),
    field("Text", h("textarea", { name: "content", required: true, text: post.content })),
    h("div", {}, h("button", { type: "submit" }, id ? "Save changes" : "Publish")));
  submitting(form, async (values) => {
    const saved = id
      ? await api("PATCH", `/api/posts/${id}`, { json: values })
      : await api("POST", "/api/posts", { json: values });
    sayNext(id ? "Post saved." : "Post published.");
    go(`#/posts/${saved.id}`);
  });
  show(id ? "Edit post" : "Write a post", form);
}

function loginView() {
  const show = screen();
  const form = h("form", { class: "stack" },
    field("Username or email", h("input", { name: "username", required: true, autocomplete: "username" })),
    field("Password", h("input", { name: "password", type: "password", required: true, autocomplete: "current-password" })),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Log in"), h("a", { href: "#/forgot-password" }, "Forgot your password?")));
  submitting(form, async ({ username, password }) => {
    await logIn(username, password);
    renderNav();
    sayNext(`Welcome back, ${session.user.username}.`);
    go("#/");
  });
  show("Log in", form, h("p", {}, "New here? ", h("a", { href: "#/signup" }, "Create an account")));
}

function signupView() {
  const show = screen();
  const form = h("form", { class: "stack" },
    field("Username", h("input", { name: "username", required: true, autocomplete: "username" })),
    field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "email" })),
    field("Password", h("input", { name: "password", type: "password", required: true, minlength: 8, autocomplete: "new-password" }), "At least 8 characters"),
    h("div", {}, h("button", { type: "submit" }, "Sign up")));
  submitting(form, async (values) => {
    await api("POST", "/api/auth/register", { json: values, auth: false });
    await logIn(values.username, values.password);
    renderNav();
    sayNext(`Welcome to Inkwell, ${values.username}.`);
    go("#/profile");
  });
  show("Create an account", form);
}

async function profileView() {
  const show = screen();
  if (needLogin()) return;
  const me = await api("GET", "/api/users/me");
  session.remember(me);
  const current = avatar(me.id, true);
  current.alt = "Your profile picture";
  // Reload past the browser's cache after a change.
  const reloadPicture = () => { current.src = `/api/users/${me.id}/profile-picture?t=${Date.now()}`; };
  reloadPicture();
  const preview = h("img", { class: "avatar big", alt: "Preview of the chosen picture", hidden: true });
  const pictureError = h("p", { class: "field-error", id: "picture-error", role: "alert" });
  const input = h("input", { name: "file", type: "file", accept: PICTURE_TYPES.join(","), "aria-describedby": "picture-error" });
  input.addEventListener("change", () => {
    pictureError.textContent = "";
    const file = input.files[0];
    preview.hidden = true;
    if (!file) return;
    if (!PICTURE_TYPES.includes(file.type)) {
      pictureError.textContent = `${file.name} is not a PNG, JPEG or WebP image.`;
    } else if (file.size > PICTURE_MAX_BYTES) {
      pictureError.textContent = `${file.name} is ${(file.size / 1048576).toFixed(1)} MB; the limit is 5 MB.`;
    } else {
      preview.src = URL.createObjectURL(file);
      preview.hidden = false;
    }
  });
  const upload = h("form", { class: "stack" },
    field("New picture", input, "PNG, JPEG or WebP, up to 5 MB"), preview, pictureError,
    h("div", { class: "row" },
      h("button", { type: "submit" }, "Upload picture"),
      h("button", {
        type: "button", class: "secondary", onclick: async () => {
          try {
            await api("DELETE", "/api/users/me/profile-picture");
            say("Picture removed.");
            reloadPicture();
          } catch (error) { say(error.message, "error"); }
        },
      }, "Remove picture")));
  upload.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) { pictureError.textContent = "Choose a picture first."; return; }
    if (pictureError.textContent) return;
    const body = new FormData();
    body.append("file", file);
    try {
      await api("PUT", "/api/users/me/profile-picture", { form: body });
      say("Picture uploaded.");
      preview.hidden = true;
      input.value = "";
      reloadPicture();
    } catch (error) {
      pictureError.textContent = error.status === 413 ? "That picture is too large (the limit is 5 MB)." : error.message;
    }
  });
  const posts = await api("GET", `/api/users/${me.id}/posts?limit=${PAGE_SIZE}`, { auth: false });
  show(`@${me.username}`,
    h("section", { "aria-labelledby": "about" },
      h("h2", { id: "about" }, "About you"),
      h("div", { class: "row" }, current, h("dl", {},
        h("dt", {}, "Email"), h("dd", {}, me.email),
        h("dt", {}, "Member since"), h("dd", {}, when(me.created_at)),
        me.roles.length ? [h("dt", {}, "Roles"), h("dd", {}, me.roles.join(", "))] : null))),
    h("section", { "aria-labelledby": "picture" }, h("h2", { id: "picture" }, "Profile picture"), upload),
    h("section", { "aria-labelledby": "mine" }, h("h2", { id: "mine" }, "Your posts"),
      posts.items.length ? h("ul", { class: "posts" }, posts.items.map(postCard)) : h("p", {}, "You have not posted yet.")),
    deleteAccountSection());
}

function deleteAccountSection() {
  const form = h("form", { class: "stack" },
    h("p", {}, "This removes your account. Type your password to confirm."),
    field("Password", h("input", { name: "password", type: "password", required: true, autocomplete: "current-password" })),
    h("div", {}, h("button", { type: "submit", class: "danger" }, "Delete my account")));
  submitting(form, async ({ password }) => {
    if (!confirm("Delete your account for good?")) return;
    try {
      await api("DELETE", "/api/users/me", { json: { password } });
    } catch (error) {
      if (error.status === 404 || error.status === 405) throw new Error("This server does not offer account deletion yet.");
      throw error;
    }
    session.clear();
    renderNav();
    sayNext("Your account was deleted.");
    go("#/");
  });
  return h("section", { "aria-labelledby": "delete" }, h("h2", { id: "delete" }, "Delete your account"), form);
}

async function settingsView() {
  const show = screen();
  if (needLogin()) return;
  let prefs = { city: "", units: "metric" };
  try { prefs = await api("GET", "/api/users/me/preferences"); } catch (error) { if (error.status !== 404) throw error; }
  const theme = localStorage.getItem("inkwell.theme") || "system";
  const option = (value, text, chosen) => h("option", { value, selected: value === chosen }, text);
  const form = h("form", { class: "stack" },
    field("City", h("input", { name: "city", required: true, value: prefs.city || "", autocomplete: "address-level2" }), "Your weather is for this city"),
    field("Units", h("select", { name: "units" }, option("metric", "Metric (°C, km/h)", prefs.units), option("imperial", "Imperial (°F, mph)", prefs.units))),
    field("Theme", h("select", { name: "theme" }, option("system", "Like my device", theme), option("light", "Light", theme), option("dark", "Dark", theme)), "Kept in this browser"),
    h("div", {}, h("button", { type: "submit" }, "Save preferences")));
  submitting(form, async ({ city, units, theme: chosen }) => {
    await api("PUT", "/api/users/me/preferences", { json: { city, units } });
    localStorage.setItem("inkwell.theme", chosen);
    applyTheme(chosen);
    say("Preferences saved.");
  });
  show("Preferences", form);
}

function weatherCard(report) {
  // The service converts: temperature and wind_speed are in the units the user chose.
  const temperature = report.temperature ?? report.temperature_c;
  const unit = report.temperature_unit ?? "°C";
  const wind = report.wind_speed === null || report.wind_speed === undefined
    ? null : `Wind ${Math.round(report.wind_speed)} ${report.wind_speed_unit}`;
  return h("div", { class: "weather", role: "group", "aria-label": `Weather in ${report.city}` },
    h("h2", {}, report.city),
    h("p", { class: "temp" }, `${Math.round(temperature)} ${unit}`),
    h("p", {}, report.description),
    wind ? h("p", {}, wind) : null,
    h("p", { class: "meta" }, `Updated ${when(report.fetched_at)}`));
}

async function weatherView() {
  const show = screen();
  if (needLogin()) return;
  let card;
  let units = "metric";
  try {
    const mine = await api("GET", "/api/weather/me");
    units = mine.units || units;
    card = weatherCard(mine);
  } catch (error) {
    if (error.status !== 404 && error.status !== 409) throw error;
    card = h("p", {}, error.message, " ", h("a", { href: "#/settings" }, "Set your city in your preferences."));
  }
  const search = h("form", { class: "stack", role: "search" },
    field("Another city", h("input", { name: "city", required: true })),
    h("div", {}, h("button", { type: "submit" }, "Look up")));
  const other = h("div", { "aria-live": "polite" });
  submitting(search, async ({ city }) => {
    other.replaceChildren(weatherCard(await api("GET", `/api/weather/${encodeURIComponent(city)}?units=${units}`)));
  });
  show("Your weather", card, h("section", {}, search, other));
}

function forgotView() {
  const show = screen();
  const form = h("form", { class: "stack" },
    field("Email", h("input", { name: "email", type: "email", required: true, autocomplete: "email" })),
    h("div", {}, h("button", { type: "submit" }, "Send me a reset link")));
  submitting(form, async (values) => {
    const answer = await api("POST", "/api/auth/forgot-password", { json: values, auth: false });
    say(answer.detail);
  });
  show("Forgot your password?", form);
}

function resetView(token) {
  const show = screen();
  if (!token) {
    show("Reset your password", h("p", {}, "This link has no token. ", h("a", { href: "/#/forgot-password" }, "Ask for a new link.")));
    return;
  }
  const form = h("form", { class: "stack" },
    field("New password", h("input", { name: "new_password", type: "password", required: true, minlength: 8, autocomplete: "new-password" }), "At least 8 characters"),
    h("div", {}, h("button", { type: "submit" }, "Set new password")));
  submitting(form, async ({ new_password }) => {
    await api("POST", "/api/auth/reset-password", { json: { token, new_password }, auth: false });
    session.clear();
    say("Your password was changed. Log in with the new one.");
    history.replaceState(null, "", "/#/login"); // the token leaves the address bar
    route();
  });
  show("Reset your password", form);
}

// ------------------------------------------------------------------ router
const ROUTES = [
  [/^\/$/, (_, params) => feedView(params)],
  [/^\/posts\/([\w-]+)$/, ([id]) => postView(id)],
  [/^\/posts\/([\w-]+)\/edit$/, ([id]) => editorView(id)],
  [/^\/write$/, () => editorView(null)],
  [/^\/login$/, loginView],
  [/^\/signup$/, signupView],
  [/^\/profile$/, profileView],
  [/^\/settings$/, settingsView],
  [/^\/weather$/, weatherView],
  [/^\/forgot-password$/, forgotView],
];

async function route() {
  renderNav();
  if (location.pathname === "/reset-password") {
    resetView(new URLSearchParams(location.search).get("token"));
    return;
  }
  const [path, query = ""] = (location.hash.slice(1) || "/").split("?");
  const params = new URLSearchParams(query);
  for (const [pattern, view] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) continue;
    const here = location.href;
    try {
      await view(match.slice(1), params);
    } catch (error) {
      if (location.href !== here) return; // the user has moved on
      if (error.status === 401) {
        sayNext(error.message, "error");
        go("#/login");
        return;
      }
      say(error.message, "error");
      if (!main.querySelector("h1")) render("Something went wrong", h("p", {}, error.message));
    }
    return;
  }
  render("Not found", h("p", {}, "There is no such page. ", h("a", { href: "#/" }, "Back to the feed.")));
}

function navigated() {
  statusBox.textContent = "";
  if (next) say(...next);
  next = null;
  route();
}

function go(hash) {
  // Open a view; the same one again (no hashchange then) is opened anew.
  if (location.hash === hash) navigated();
  else location.hash = hash;
}

window.addEventListener("hashchange", navigated);
document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault(); // the hash is the router's: move focus without changing it
  main.focus();
});
applyTheme();
route();
