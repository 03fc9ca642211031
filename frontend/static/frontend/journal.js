/* The exam page's journal: every change (answer, flag) not yet acknowledged by the server,
 * kept in this browser so that a lost connection, a reload, a crash of the browser or of the
 * PC loses nothing the student did.
 *
 * Where it keeps them: IndexedDB, one database per origin ("assess-exam"), one object store
 * ("changes") keyed by [attempt id, seq], a record {attempt, seq, message} holding the change
 * exactly as it is sent, so that it is sent again with the same seq (docs/protocol.md,
 * section 10). A write is committed with strict durability (flushed to disk) before the page
 * sends the change. Where IndexedDB is missing (some private windows), will not open in
 * OPEN_TIMEOUT_MS, or fails a write (a full disk, a quota), the journal falls back to
 * localStorage under "exam:<attempt>:pending" ({seq: message}, the key older versions of the
 * page used) for the rest of the page's life; if that fails too it holds the changes in
 * memory only, and says so (onMode("memory")), so the page can ask the student to stay.
 *
 * On opening it reads both stores and merges them: entries an older page left in
 * localStorage (or a page that fell back to it) move into IndexedDB, and of two changes of
 * the same kind for the same item only the newer is kept (the newer seq wins on the server
 * whether or not the older was stored). A change still being written when the page goes
 * away is copied to localStorage at once (backup(), on pagehide) and moved back on the next
 * load.
 *
 *   ExamJournal.open(attemptId, onMode, function (journal, entries) { ... });
 *   journal.write(message, replacedSeqs, done);  // done() once it is held (or held nowhere)
 *   journal.remove([seq, ...]);                  // acknowledged, or refused by the server
 *   journal.clear();                             // the attempt is over
 *   journal.backup();                            // pagehide: writes still in progress to localStorage
 *   journal.mode                                 // "indexeddb", "localstorage" or "memory"
 */
(function () {
  "use strict";

  var DATABASE = "assess-exam";
  var VERSION = 1;
  var STORE = "changes";
  var OPEN_TIMEOUT_MS = 3000;
  var KINDS = ["answer", "flag"];

  function localKey(attemptId) { return "exam:" + attemptId + ":pending"; }

  function attemptRange(attemptId) {
    return window.IDBKeyRange.bound([attemptId, 0], [attemptId, Infinity]);
  }

  // A change as the page sends it: an answer or a flag with an integer seq and item.
  function isChange(message) {
    return !!message && typeof message === "object" && KINDS.indexOf(message.type) !== -1 &&
      Number.isInteger(message.seq) && message.seq > 0 && Number.isInteger(message.item);
  }

  function readLocal(key) {
    var found = {};
    try {
      var stored = JSON.parse(window.localStorage.getItem(key) || "{}");
      Object.keys(stored || {}).forEach(function (seq) {
        if (isChange(stored[seq]) && String(stored[seq].seq) === seq) found[seq] = stored[seq];
      });
    } catch (e) { /* unreadable or no storage: nothing there */ }
    return found;
  }

  // Calls back once with an open database, or null: none, refused, or too slow to answer.
  function openDatabase(callback) {
    var answered = false;
    var timer = window.setTimeout(function () { once(null); }, OPEN_TIMEOUT_MS);
    function once(db) {
      if (answered) {
        if (db) db.close();       // came after the timeout: the page went on without it
        return;
      }
      answered = true;
      window.clearTimeout(timer);
      callback(db);
    }
    // A database of this name without the store (made by some other script of the site) is
    // upgraded once to a version that has it.
    function attempt(version, last) {
      var request;
      try {
        if (!window.indexedDB || !window.IDBKeyRange) return once(null);
        request = window.indexedDB.open(DATABASE, version);
      } catch (e) {
        return once(null);
      }
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: ["attempt", "seq"] });
      };
      request.onsuccess = function () {
        var db = request.result;
        if (db.objectStoreNames.contains(STORE)) return once(db);
        db.close();
        if (last) return once(null);
        attempt(db.version + 1, true);
      };
      request.onerror = function (event) {
        if (event && event.preventDefault) event.preventDefault();
        if (!last && request.error && request.error.name === "VersionError") return attempt(undefined, true);
        once(null);
      };
    }
    attempt(VERSION, false);
  }

  function readAttempt(db, attemptId, callback) {
    var records = null;
    try {
      var tx = db.transaction(STORE, "readonly");
      var request = tx.objectStore(STORE).getAll(attemptRange(attemptId));
      request.onsuccess = function () { records = request.result || []; };
      tx.oncomplete = function () { callback(records); };
      tx.onabort = function () { callback(null); };
    } catch (e) {
      callback(null);
    }
  }

  // Of several changes of one kind for one item, the newest: the others can never win.
  function newestOnly(held) {
    var newest = {};
    var dropped = [];
    Object.keys(held).map(Number).sort(function (a, b) { return b - a; }).forEach(function (seq) {
      var message = held[seq];
      var slot = message.type + ":" + message.item;
      if (newest[slot]) {
        dropped.push(seq);
        delete held[seq];
      } else {
        newest[slot] = true;
      }
    });
    return dropped;
  }

  function Journal(attemptId, db, onMode) {
    this.attemptId = attemptId;
    this.key = localKey(attemptId);
    this.db = db;
    this.onMode = onMode || function () {};
    this.mode = db ? "indexeddb" : "localstorage";
    this.held = {};               // seq -> message: everything written and not removed
    this.writing = 0;             // IndexedDB writes not yet committed
    if (db) {
      var journal = this;
      // Closed under the page (the site's data cleared, the browser shutting the database):
      // what is held goes to localStorage from now on.
      db.onclose = function () { journal.db = null; journal.fallBack(); };
      db.onversionchange = function () { db.close(); journal.db = null; journal.fallBack(); };
    }
  }

  Journal.prototype.setMode = function (mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    this.onMode(mode);
  };

  // Everything held, into localStorage; the mode says whether that worked.
  Journal.prototype.writeLocal = function () {
    try {
      if (Object.keys(this.held).length) window.localStorage.setItem(this.key, JSON.stringify(this.held));
      else window.localStorage.removeItem(this.key);
      this.setMode("localstorage");
      return true;
    } catch (e) {
      this.setMode("memory");
      return false;
    }
  };

  Journal.prototype.fallBack = function () {
    if (this.mode === "indexeddb") this.writeLocal();
  };

  // A transaction on the store, or null (then the journal has fallen back).
  Journal.prototype.transaction = function (durability) {
    if (!this.db) return null;
    try {
      return this.db.transaction(STORE, "readwrite", durability ? { durability: durability } : undefined);
    } catch (e) {
      return null;
    }
  };

  Journal.prototype.write = function (message, replaced, done) {
    var journal = this;
    (replaced || []).forEach(function (seq) { delete journal.held[seq]; });
    this.held[message.seq] = message;
    if (this.mode !== "indexeddb") {
      this.writeLocal();
      done();
      return;
    }
    var tx = this.transaction("strict");
    var settled = false;
    function settle(ok) {
      if (settled) return;
      settled = true;
      journal.writing -= 1;
      if (!ok) journal.fallBack();
      done();
    }
    this.writing += 1;
    if (!tx) return settle(false);
    try {
      var store = tx.objectStore(STORE);
      (replaced || []).forEach(function (seq) { store.delete([journal.attemptId, seq]); });
      store.put({ attempt: this.attemptId, seq: message.seq, message: message });
    } catch (e) {
      try { tx.abort(); } catch (ignored) { /* already finished */ }
      return settle(false);
    }
    tx.oncomplete = function () { settle(true); };
    tx.onabort = function () { settle(false); };   // a failed request aborts it: quota, disk
  };

  Journal.prototype.remove = function (seqs) {
    var journal = this;
    var known = seqs.filter(function (seq) { return journal.held[seq] !== undefined; });
    known.forEach(function (seq) { delete journal.held[seq]; });
    if (this.mode !== "indexeddb") this.writeLocal();
    // Also after a fall back: a record left in IndexedDB would be sent again after a reload
    // and acknowledged as a duplicate, so this only saves a frame.
    if (!seqs.length) return;
    var tx = this.transaction(null);
    if (!tx) return;
    try {
      var store = tx.objectStore(STORE);
      seqs.forEach(function (seq) { store.delete([journal.attemptId, seq]); });
    } catch (e) { /* as above: harmless */ }
  };

  Journal.prototype.clear = function () {
    this.held = {};
    try { window.localStorage.removeItem(this.key); } catch (e) { /* no storage */ }
    var tx = this.transaction(null);
    if (!tx) return;
    try { tx.objectStore(STORE).delete(attemptRange(this.attemptId)); } catch (e) { /* harmless */ }
  };

  // The page is going away: a write not yet committed may never be. localStorage is written
  // at once, so what it holds is read back (and moved to IndexedDB) on the next load.
  Journal.prototype.backup = function () {
    if (this.mode !== "indexeddb" || !this.writing) return;
    try {
      window.localStorage.setItem(this.key, JSON.stringify(this.held));
    } catch (e) { /* nothing more can be done while the page goes */ }
  };

  // What was read on opening, merged; entries from localStorage are moved into IndexedDB.
  Journal.prototype.adopt = function (records, local) {
    var journal = this;
    records.forEach(function (record) {
      if (isChange(record.message) && record.message.seq === record.seq) journal.held[record.seq] = record.message;
    });
    var moved = Object.keys(local).filter(function (seq) { return journal.held[seq] === undefined; });
    moved.forEach(function (seq) { journal.held[seq] = local[seq]; });
    var dropped = newestOnly(this.held);
    var hadLocal = Object.keys(local).length > 0;
    if (this.mode !== "indexeddb") {
      if (hadLocal || dropped.length) this.writeLocal();
      else {
        // Probe: a storage that refuses writes (a private window) leaves only the memory.
        try {
          window.localStorage.setItem(this.key, "{}");
          window.localStorage.removeItem(this.key);
        } catch (e) {
          this.setMode("memory");
        }
      }
      return;
    }
    if (!hadLocal && !dropped.length) return;
    var tx = this.transaction("strict");
    if (!tx) return this.fallBack();
    try {
      var store = tx.objectStore(STORE);
      dropped.forEach(function (seq) { store.delete([journal.attemptId, seq]); });
      moved.forEach(function (seq) {
        if (journal.held[seq]) store.put({ attempt: journal.attemptId, seq: Number(seq), message: journal.held[seq] });
      });
    } catch (e) {
      return this.fallBack();
    }
    tx.oncomplete = function () {
      try { window.localStorage.removeItem(journal.key); } catch (e) { /* no storage */ }
    };
    tx.onabort = function () { journal.fallBack(); };
  };

  function copy(held) {
    var entries = {};
    Object.keys(held).forEach(function (seq) { entries[seq] = held[seq]; });
    return entries;
  }

  window.ExamJournal = {
    DATABASE: DATABASE,
    STORE: STORE,
    localKey: localKey,
    open: function (attemptId, onMode, ready) {
      function start(db, records) {
        var journal = new Journal(attemptId, db, onMode);
        journal.adopt(records, readLocal(journal.key));
        if (journal.mode !== "indexeddb") journal.onMode(journal.mode);
        ready(journal, copy(journal.held));
      }
      openDatabase(function (db) {
        if (!db) return start(null, []);
        readAttempt(db, attemptId, function (records) {
          if (records === null) {
            db.close();
            return start(null, []);
          }
          start(db, records);
        });
      });
    }
  };
})();
