'use strict';
/*
 * The slicing page: loads the devices and the predicted front from the JSON API, moves a budget
 * over the feasible range, posts /v1/slice and shows the answer with its download links. Every
 * text from the server is shown through textContent; API errors are shown as the API words them.
 */
(function () {
  const $ = id => document.getElementById(id);
  const el = window.OfaCharts.el;
  const STEPS = 1000;
  const METRICS = {
    latency: {field: 'max_latency_ms', range: 'latency_ms', unit: 'ms', axis: 'predicted latency (ms)', scale: 1},
    macs: {field: 'max_macs', range: 'macs', unit: 'MACs', axis: 'MACs per image (millions)', scale: 1e6},
    params: {field: 'max_params', range: 'params', unit: 'parameters', axis: 'parameters (millions)', scale: 1e6},
  };
  const TOKEN_KEY = 'ofa4j-serve-token';
  const state = {front: null, answer: null, chart: null, frontSeq: 0};

  class ApiError extends Error {
    constructor(message, field, status) {
      super(message);
      this.field = field;
      this.status = status;
    }
  }

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }

  function setToken(t) {
    try { if (t) sessionStorage.setItem(TOKEN_KEY, t); else sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage off */ }
  }

  function authHeaders(extra) {
    const h = Object.assign({}, extra || {});
    const t = token();
    if (t) h.Authorization = 'Bearer ' + t;
    return h;
  }

  async function api(path, init) {
    const opts = Object.assign({cache: 'no-store'}, init || {});
    opts.headers = authHeaders(init && init.headers);
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      throw new ApiError('cannot reach the server (' + e.message + ')', null, 0);
    }
    const text = await res.text();
    let body = null;
    try { body = JSON.parse(text); } catch (e) { body = null; }
    if (!res.ok) {
      const msg = body && typeof body.error === 'string' ? body.error : 'HTTP ' + res.status + ': ' + text.slice(0, 300);
      throw new ApiError(msg, body && typeof body.field === 'string' ? body.field : null, res.status);
    }
    if (body === null) throw new ApiError('the server answered with text that is not JSON', null, res.status);
    return {body: body, text: text};
  }

  function status(text) { $('status').textContent = text; }

  function showError(e) {
    const box = $('error');
    if (!e) {
      box.hidden = true;
      box.textContent = '';
      return;
    }
    const where = e.status ? 'Error ' + e.status + (e.field ? ' (' + e.field + ')' : '') + ': ' : 'Error: ';
    box.textContent = where + e.message;
    box.hidden = false;
    if (e.status === 401) {
      $('token-box').open = true;
      $('token').focus();
    }
  }

  function metric() { return $('metric').value; }
  function precision() { return document.querySelector('input[name=precision]:checked').value; }

  function range() {
    return state.front ? state.front[METRICS[metric()].range] : null;
  }

  function formatBudget(v) {
    if (metric() === 'latency') return (Math.ceil(v * 10000) / 10000).toFixed(4);
    return String(Math.round(v));
  }

  function sliderValue() {
    const r = range();
    const i = Number($('budget').value);
    return r.min + (r.max - r.min) * i / STEPS;
  }

  function syncFromSlider() {
    if (!range()) return;
    const text = formatBudget(sliderValue());
    $('budget-exact').value = text;
    $('budget').setAttribute('aria-valuetext', text + ' ' + METRICS[metric()].unit);
    moveBudgetLine();
  }

  function budgetLine() {
    const b = budgetValue();
    return typeof b === 'number' && b > 0 ? b / METRICS[metric()].scale : null;
  }

  function moveBudgetLine() {
    if (state.chart) state.chart.setVline(budgetLine()); else redraw();
  }

  function syncFromExact() {
    const r = range();
    const v = Number($('budget-exact').value.trim());
    if (r && Number.isFinite(v) && v >= r.min && v <= r.max && r.max > r.min) {
      $('budget').value = String(Math.round((v - r.min) / (r.max - r.min) * STEPS));
      $('budget').setAttribute('aria-valuetext', $('budget-exact').value.trim() + ' ' + METRICS[metric()].unit);
    }
    moveBudgetLine();
  }

  /** The budget as the request sends it: a number when the text is one, else the text itself (the API names it). */
  function budgetValue() {
    const text = $('budget-exact').value.trim();
    if (text === '') return undefined;
    const v = Number(text);
    return Number.isFinite(v) ? v : text;
  }

  function chartX(p, m) {
    if (m === 'latency') return p.latency;
    if (m === 'macs') return p.macs / 1e6;
    return p.params / 1e6;
  }

  function pct(a) { return a === null || a === undefined ? 'n/a' : (100 * a).toFixed(2) + '%'; }
  function ms(v) { return v === null || v === undefined ? 'not measured here' : Number(v).toFixed(4) + ' ms'; }
  function count(v) { return v === null || v === undefined ? 'n/a' : Number(v).toLocaleString('en-US'); }

  function redraw() {
    const f = state.front;
    const host = $('chart');
    if (state.chart) {
      state.chart.destroy();
      state.chart = null;
    }
    if (!f) return;
    const m = metric();
    const frontPts = f.front.map(p => ({
      x: chartX({latency: p.latency_ms, macs: p.macs, params: p.params}, m), y: 100 * p.predicted_accuracy,
      info: [['arch key', p.key], ['predicted accuracy', pct(p.predicted_accuracy)],
        ['predicted latency', ms(p.latency_ms)], ['MACs', count(p.macs)], ['params', count(p.params)]],
    }));
    const measuredPts = f.measured.map(p => ({
      x: chartX({latency: p.measured_latency_ms !== null && p.measured_latency_ms !== undefined
        ? p.measured_latency_ms : p.predicted_latency_ms, macs: p.macs, params: p.params}, m),
      y: 100 * p.measured_accuracy,
      info: [['arch key', p.key], ['predicted accuracy', pct(p.predicted_accuracy)],
        ['measured accuracy', pct(p.measured_accuracy)], ['predicted latency', ms(p.predicted_latency_ms)],
        ['measured latency', ms(p.measured_latency_ms)], ['MACs', count(p.macs)], ['params', count(p.params)]],
    }));
    const series = [
      {label: 'predicted front (' + f.accuracy_predictor + ')', points: frontPts, line: true, size: 5},
      {label: 'measured candidates', points: measuredPts, hollow: true, size: 8, color: '#7d4fa8'},
    ];
    const a = state.answer;
    if (a && a.device === $('device').value) {
      const lat = a.measured && a.measured.latency_ms !== null && a.measured.latency_ms !== undefined
        ? a.measured.latency_ms : a.predicted.latency_ms;
      const acc = a.measured ? a.measured.val_accuracy : a.predicted.accuracy;
      series.push({label: 'chosen subnet', size: 15, color: '#d62728', points: [{
        x: chartX({latency: lat, macs: a.macs, params: a.params}, m), y: 100 * acc,
        info: [['arch key', a.key], ['predicted accuracy', pct(a.predicted.accuracy)],
          ['measured accuracy', a.measured ? pct(a.measured.val_accuracy) : 'n/a'],
          ['predicted latency', ms(a.predicted.latency_ms)],
          ['measured latency', ms(a.measured ? a.measured.latency_ms : null)], ['MACs', count(a.macs)], ['params', count(a.params)]],
      }]});
    }
    const vline = budgetLine();
    state.chart = window.OfaCharts.scatter(host, series, {
      xLabel: METRICS[m].axis, yLabel: 'validation accuracy (%)', height: 310, vline: vline,
      describe: 'Chart of accuracy against ' + METRICS[m].axis + ' on ' + f.device + ': ' + frontPts.length
        + ' subnets on the predicted front, ' + measuredPts.length + ' measured candidates'
        + (series.length > 2 ? ', and the chosen subnet' : '') + '. Use the arrow keys to read the points.',
    });
  }

  async function loadFront() {
    const device = $('device').value;
    const m = metric();
    const seq = ++state.frontSeq;
    if (!device) return;
    status('Computing the predicted front of ' + device + '...');
    try {
      const r = await api('/v1/front?device=' + encodeURIComponent(device) + '&metric=' + encodeURIComponent(m));
      if (seq !== state.frontSeq) return;
      const keep = state.front && state.front.device === device && state.front.metric === m ? $('budget').value : null;
      state.front = r.body;
      const rg = range();
      $('budget-unit').textContent = '(' + METRICS[m].unit + ')';
      $('budget-field').textContent = METRICS[m].field;
      $('budget-range').textContent = 'feasible range: ' + formatBudget(rg.min) + ' to ' + formatBudget(rg.max) + ' '
        + METRICS[m].unit + ' (the cheapest and the largest subnet)';
      if (keep !== null) $('budget').value = keep;
      if (state.chart) {
        state.chart.destroy();
        state.chart = null;
      }
      syncFromSlider();
      document.body.dataset.front = device + '|' + m + '|' + r.body.measured.length;
      status('Front of ' + device + ': ' + r.body.front.length + ' subnets; ' + r.body.measured.length
        + ' candidates measured so far.');
      showError(null);
    } catch (e) {
      if (seq !== state.frontSeq) return;
      status('');
      showError(e);
    }
  }

  async function loadDevices() {
    try {
      const r = await api('/v1/devices');
      const sel = $('device');
      while (sel.firstChild) sel.removeChild(sel.firstChild);
      r.body.devices.forEach(d => {
        const o = el('option', null, d);
        o.value = d;
        sel.appendChild(o);
      });
      state.precisions = r.body.precisions || {};
      syncPrecisions();
      showError(null);
      await loadFront();
    } catch (e) {
      showError(e);
    }
  }

  /** INT8 and auto need the device's INT8 latency profile: without one their choices are disabled and the hint says why. */
  function syncPrecisions() {
    const d = $('device').value;
    const allowed = (state.precisions || {})[d] || ['fp32', 'int8', 'auto'];
    let lost = false;
    ['int8', 'auto'].forEach(p => {
      const input = $('precision-' + p);
      input.disabled = !allowed.includes(p);
      if (input.disabled && input.checked) lost = true;
    });
    if (lost) $('precision-fp32').checked = true;
    const hint = $('precision-hint');
    hint.hidden = allowed.includes('int8');
    hint.textContent = hint.hidden ? '' : 'No INT8 latency profile of ' + d + ' in this run: INT8 and auto need one'
      + ' (ofa profile --precision int8 --out <run>/devices/' + d + '-int8.json, then restart the server).';
  }

  const ROWS = [
    ['key', 'arch key', a => a.key, 'mono'],
    ['precision', 'precision delivered', a => a.precision],
    ['latency_profile', 'latency profile', a => a.latency_profile],
    ['auto', 'auto: chosen because', a => (a.auto ? a.auto.why : null)],
    ['predicted_accuracy', 'predicted accuracy', a => a.predicted.accuracy, 'pct'],
    ['measured_accuracy', 'measured validation accuracy', a => (a.measured ? a.measured.val_accuracy : null), 'pct'],
    ['predicted_latency_ms', 'predicted latency (ms)', a => a.predicted.latency_ms, 'ms'],
    ['measured_latency_ms', 'measured latency (ms)', a => (a.measured ? a.measured.latency_ms : null), 'ms'],
    ['latency_checked_by', 'latency checked by', a => (a.measured ? a.measured.latency_checked_by : null)],
    ['macs', 'MACs', a => a.macs, 'count'],
    ['params', 'parameters', a => a.params, 'count'],
    ['peak_activation_bytes', 'peak activation memory (bytes)', a => a.peak_activation_bytes, 'count'],
    ['candidates_measured', 'candidates measured', a => a.candidates_measured, 'count'],
    ['accuracy_predictor', 'accuracy predictor', a => a.predicted.accuracy_predictor],
    ['id', 'model id', a => a.id, 'mono'],
    ['cached', 'from the cache', a => (a.cached ? 'yes' : 'no')],
  ];

  function shown(v, kind) {
    if (v === null || v === undefined) return 'n/a';
    if (kind === 'pct') return pct(v);
    if (kind === 'ms') return Number(v).toFixed(4);
    if (kind === 'count') return count(v);
    return String(v);
  }

  function showAnswer(a, text) {
    const tbody = $('result-table').tBodies[0];
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    ROWS.forEach(([name, label, get, kind]) => {
      const v = get(a);
      const tr = el('tr');
      tr.dataset.field = name;
      const th = el('th', null, label);
      th.scope = 'row';
      const td = el('td', kind === 'mono' ? 'mono' : (kind ? 'num' : null), shown(v, kind));
      td.dataset.value = v === null || v === undefined ? '' : String(v);
      tr.appendChild(th);
      tr.appendChild(td);
      tbody.appendChild(tr);
    });
    const onnx = $('dl-onnx');
    onnx.href = a.onnx;
    onnx.download = a.id + (a.precision === 'int8' ? '.int8' : '') + '.onnx';
    onnx.textContent = 'Download ONNX (' + a.precision.toUpperCase() + ', ' + a.id + ')';
    const json = $('dl-json');
    if (json.href && json.href.startsWith('blob:')) URL.revokeObjectURL(json.href);
    json.href = URL.createObjectURL(new Blob([JSON.stringify(JSON.parse(text), null, 2) + '\n'], {type: 'application/json'}));
    json.download = a.id + '.json';
    json.textContent = 'Download JSON report (' + a.id + '.json)';
    $('result').hidden = false;
  }

  /** With a token, a plain link cannot send it: the model is fetched with the header and saved from memory. */
  async function downloadWithToken(ev) {
    if (!token()) return;
    ev.preventDefault();
    const link = ev.currentTarget;
    try {
      const res = await fetch(link.getAttribute('href'), {headers: authHeaders()});
      if (!res.ok) {
        let msg = 'HTTP ' + res.status;
        try { msg = JSON.parse(await res.text()).error || msg; } catch (e) { /* keep the status */ }
        throw new ApiError(msg, null, res.status);
      }
      const url = URL.createObjectURL(await res.blob());
      const a = el('a');
      a.href = url;
      a.download = link.download;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) {
      showError(e instanceof ApiError ? e : new ApiError(e.message, null, 0));
    }
  }

  async function slice(ev) {
    ev.preventDefault();
    const req = {device: $('device').value, precision: precision()};
    const b = budgetValue();
    if (b !== undefined) req[METRICS[metric()].field] = b;
    const button = $('slice');
    button.disabled = true;
    showError(null);
    status('Slicing for ' + req.device + ': searching and measuring candidates (this can take a while)...');
    const t0 = performance.now();
    try {
      const r = await api('/v1/slice', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(req)});
      const a = Object.assign({device: req.device}, r.body);
      state.answer = a;
      showAnswer(a, r.text);
      status('Sliced in ' + Math.round(performance.now() - t0) + ' ms' + (a.cached ? ' (from the cache)' : '') + ': ' + a.key);
      document.body.dataset.sliceMs = String(Math.round(performance.now() - t0));
      await loadFront();
      status('Sliced in ' + document.body.dataset.sliceMs + ' ms' + (a.cached ? ' (from the cache)' : '') + ': ' + a.key);
    } catch (e) {
      status('');
      showError(e);
    } finally {
      button.disabled = false;
    }
  }

  function init() {
    const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (m) {
      setToken(decodeURIComponent(m[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
    $('budget').addEventListener('input', syncFromSlider);
    $('budget-exact').addEventListener('input', syncFromExact);
    $('device').addEventListener('change', () => { state.answer = null; syncPrecisions(); loadFront(); });
    $('metric').addEventListener('change', () => { $('budget').value = String(STEPS / 2); loadFront(); });
    $('slice-form').addEventListener('submit', slice);
    $('dl-onnx').addEventListener('click', downloadWithToken);
    $('token-apply').addEventListener('click', () => {
      setToken($('token').value.trim());
      $('token').value = '';
      loadDevices();
    });
    loadDevices().then(() => { document.body.dataset.ready = 'true'; });
  }

  init();
})();
