// <spotnow-now-playing src="https://example.org"> — what spotnowd's owner plays, live.
//
// No dependencies. `src` is where spotnow-web answers (empty: this page's origin). The element
// asks /api/now-playing on mount, focus and when the page becomes visible, and holds
// /api/events open only while the page is visible: an open stream is a viewer, so spotnowd
// polls Spotify quickly only while someone actually looks (doc/design.md section 9). Progress
// ticks locally between events. Every text is set as text, never as markup.
(() => {
  "use strict";

  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;

  const STYLE = `
    :host { display: block; font: 14px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif;
            color: var(--spotnow-fg, #1f2328); max-width: 28rem; }
    .card { display: flex; gap: 12px; padding: 12px; border-radius: 10px;
            background: var(--spotnow-bg, #fff); border: 1px solid var(--spotnow-border, #d0d7de); }
    .cover { width: 72px; height: 72px; border-radius: 6px; object-fit: cover; flex: none;
             background: var(--spotnow-bar, #e6e9ec); }
    .text { min-width: 0; flex: 1; }
    .label { font-size: 12px; color: var(--spotnow-muted, #59636e); }
    .title { font-weight: 600; font-size: 16px; white-space: nowrap; overflow: hidden;
             text-overflow: ellipsis; color: inherit; text-decoration: none; display: block; }
    a.title:hover { text-decoration: underline; }
    .artist, .album { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
    .album { font-size: 12px; color: var(--spotnow-muted, #59636e); }
    .bar { height: 4px; border-radius: 2px; background: var(--spotnow-bar, #e6e9ec); margin-top: 6px; }
    .fill { height: 100%; width: 0; border-radius: 2px; background: #1db954; }
    .time { font-size: 11px; color: var(--spotnow-muted, #59636e); font-variant-numeric: tabular-nums; }
    .attribution { font-size: 11px; color: var(--spotnow-muted, #59636e); margin-top: 2px; }
    [hidden] { display: none !important; }
  `;

  function formatTime(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  class SpotnowNowPlaying extends HTMLElement {
    constructor() {
      super();
      this.snapshot = null;
      this.source = null;
      this.retryTimer = 0;
      this.backoff = BACKOFF_MIN_MS;
      this.tickTimer = 0;
      this.onVisibility = () => this.followVisibility();
      this.onFocus = () => this.fetchNow();
      const root = this.attachShadow({ mode: "open" });
      root.innerHTML = `<style>${STYLE}</style>
        <div class="card" part="card">
          <img class="cover" part="cover" alt="" hidden>
          <div class="text">
            <div class="label" part="label"></div>
            <a class="title" part="title" target="_blank" rel="noopener"></a>
            <div class="artist" part="artist"></div>
            <div class="album" part="album"></div>
            <div class="progress" hidden><div class="bar"><div class="fill"></div></div>
              <div class="time"></div></div>
            <div class="attribution">Spotify</div>
          </div>
        </div>`;
      this.$ = (sel) => root.querySelector(sel);
      // A cover that cannot load leaves the placeholder, not a broken image.
      this.$(".cover").addEventListener("error", (e) => { e.target.hidden = true; });
      this.render();
    }

    static get observedAttributes() { return ["src"]; }

    attributeChangedCallback() {
      if (this.isConnected) {
        this.stopStream();
        this.fetchNow();
        this.followVisibility();
      }
    }

    get base() {
      return (this.getAttribute("src") || "").replace(/\/+$/, "");
    }

    connectedCallback() {
      document.addEventListener("visibilitychange", this.onVisibility);
      window.addEventListener("focus", this.onFocus);
      this.tickTimer = setInterval(() => this.renderProgress(), 1000);
      this.fetchNow();
      this.followVisibility();
    }

    disconnectedCallback() {
      document.removeEventListener("visibilitychange", this.onVisibility);
      window.removeEventListener("focus", this.onFocus);
      clearInterval(this.tickTimer);
      this.stopStream();
    }

    // Visible: fresh data and a stream (a viewer). Hidden: no stream, so no viewer.
    followVisibility() {
      if (document.visibilityState === "visible") {
        this.fetchNow();
        this.startStream();
      } else {
        this.stopStream();
      }
    }

    async fetchNow() {
      try {
        const reply = await fetch(`${this.base}/api/now-playing`, { cache: "no-cache" });
        if (reply.ok) this.show(await reply.json());
      } catch (e) {
        // Offline or unreachable: the stream's back-off retries.
      }
    }

    startStream() {
      if (this.source || this.retryTimer) return;
      const source = new EventSource(`${this.base}/api/events`);
      this.source = source;
      source.addEventListener("snapshot", (event) => {
        this.backoff = BACKOFF_MIN_MS;
        try { this.show(JSON.parse(event.data)); } catch (e) { /* ignore a bad event */ }
      });
      source.onerror = () => {
        // EventSource retries by itself unless the server refused (e.g. 503): then back off.
        if (source.readyState === EventSource.CLOSED) {
          this.stopStream();
          this.retryTimer = setTimeout(() => {
            this.retryTimer = 0;
            if (document.visibilityState === "visible") this.startStream();
          }, this.backoff);
          this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
        }
      };
    }

    stopStream() {
      if (this.source) {
        this.source.close();
        this.source = null;
      }
      clearTimeout(this.retryTimer);
      this.retryTimer = 0;
    }

    show(snapshot) {
      this.snapshot = snapshot;
      this.snapshotAt = Date.now();
      this.render();
      this.dispatchEvent(new CustomEvent("spotnow-snapshot", { detail: snapshot }));
    }

    position() {
      const s = this.snapshot;
      if (!s) return 0;
      if (!s.isPlaying) return s.progressMs;
      // Our clock, not the server's: the time since this snapshot arrived.
      return Math.min(s.durationMs, s.progressMs + (Date.now() - this.snapshotAt));
    }

    render() {
      const s = this.snapshot;
      const none = !s || s.itemType === "none";
      const ad = s && s.itemType === "ad";
      this.setAttribute("state", none ? "none" : s.isPlaying ? "playing" : "paused");
      this.$(".label").textContent = none ? "Nothing played yet"
        : s.isPlaying ? "Now playing" : "Last played";
      const title = this.$(".title");
      title.textContent = none ? "" : ad ? "Advertisement" : s.trackName;
      if (!none && s.trackUrl && /^https?:\/\//.test(s.trackUrl)) title.href = s.trackUrl;
      else title.removeAttribute("href");
      this.$(".artist").textContent = none || ad ? "" : s.artistName;
      this.$(".album").textContent = none || ad ? "" : s.albumName;
      const cover = this.$(".cover");
      if (!none && s.albumArt && /^https?:\/\//.test(s.albumArt)) {
        if (cover.getAttribute("src") !== s.albumArt) cover.src = s.albumArt;
        cover.hidden = false;
      } else {
        cover.hidden = true;
        cover.removeAttribute("src");
      }
      this.$(".progress").hidden = none || !(s.durationMs > 0);
      this.renderProgress();
    }

    renderProgress() {
      const s = this.snapshot;
      if (!s || !(s.durationMs > 0)) return;
      const at = this.position();
      this.$(".fill").style.width = `${(100 * at) / s.durationMs}%`;
      this.$(".time").textContent = `${formatTime(at)} / ${formatTime(s.durationMs)}`;
    }
  }

  if (!customElements.get("spotnow-now-playing")) {
    customElements.define("spotnow-now-playing", SpotnowNowPlaying);
  }
})();
