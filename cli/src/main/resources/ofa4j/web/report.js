'use strict';
/*
 * The run report page: training curves, predictor quality, the latency profile's held-out error,
 * the Pareto figure and the cost of each stage. Its data is inline (report.html written by
 * 'ofa run', opened from disk) or, when the page is served by 'ofa serve', read from /v1/report.
 * Every text goes through textContent.
 */
(function () {
  const $ = id => document.getElementById(id);
  const el = window.OfaCharts.el;
  const TOKEN_KEY = 'ofa4j-serve-token';

  function fail(message) {
    const box = $('report-error');
    box.textContent = message;
    box.hidden = false;
    document.body.dataset.ready = 'error';
  }

  function fixed(v, d) { return v === null || v === undefined || !Number.isFinite(Number(v)) ? 'n/a' : Number(v).toFixed(d); }
  function pct(v) { return v === null || v === undefined ? 'n/a' : (100 * v).toFixed(2) + '%'; }

  function missing(host, text) {
    host.appendChild(el('p', 'missing', text));
  }

  function fact(name, value) {
    const dl = $('facts');
    dl.appendChild(el('dt', null, name));
    dl.appendChild(el('dd', null, value));
  }

  function summary(d) {
    $('title').textContent = d.title;
    document.title = d.title;
    fact('preset', d.preset);
    fact('created', d.created);
    fact('data', d.data_description);
    fact('seed', d.seed);
    fact('checkpoint SHA-256', d.checkpoint_sha256);
    fact('total wall time', fixed(d.costs ? d.costs.total_wall_s : null, 1) + ' s');
    (d.missing || []).forEach(m => fact('not available', m));
  }

  function training(d) {
    const rows = d.training || [];
    if (!rows.length) {
      missing($('training'), 'No training metrics (supernet/metrics.jsonl is missing or empty).');
      return;
    }
    const phases = [];
    rows.forEach(r => { if (!phases.includes(r.phase)) phases.push(r.phase); });
    const info = r => [['phase', r.phase], ['epoch', r.epoch], ['step', r.global_step], ['loss', fixed(r.loss, 4)],
      ['train accuracy', pct(r.train_acc)], ['val accuracy (largest subnet)', pct(r.val_acc_max)],
      ['val accuracy (smallest subnet)', pct(r.val_acc_min)]];
    const loss = phases.map(ph => ({label: ph, line: true, size: 6,
      points: rows.filter(r => r.phase === ph).map(r => ({x: r.global_step, y: r.loss, info: info(r)}))}));
    window.OfaCharts.scatter($('chart-loss'), loss, {xLabel: 'optimizer step', yLabel: 'training loss', height: 260,
      describe: 'Training loss against optimizer step, ' + phases.length + ' phases: ' + phases.join(', ')});
    const acc = phases.map(ph => ({label: ph + ' train', line: true, size: 6,
      points: rows.filter(r => r.phase === ph).map(r => ({x: r.global_step, y: 100 * r.train_acc, info: info(r)}))}));
    const vmax = rows.filter(r => r.val_acc_max !== null && r.val_acc_max !== undefined);
    if (vmax.length) {
      acc.push({label: 'val, largest subnet', hollow: true, size: 9, color: '#000',
        points: vmax.map(r => ({x: r.global_step, y: 100 * r.val_acc_max, info: info(r)}))});
      acc.push({label: 'val, smallest subnet', hollow: true, size: 9, color: '#777',
        points: vmax.map(r => ({x: r.global_step, y: 100 * r.val_acc_min, info: info(r)}))});
    }
    window.OfaCharts.scatter($('chart-acc'), acc, {xLabel: 'optimizer step', yLabel: 'accuracy (%)', height: 260,
      describe: 'Training and validation accuracy against optimizer step, per phase'});
  }

  function predictor(d) {
    const p = d.predictor || {points: [], lines: []};
    if (p.points.length) {
      window.OfaCharts.scatter($('chart-predictor'), [{label: 'measured candidates', size: 7,
        points: p.points.map(q => ({x: 100 * q.predicted, y: 100 * q.measured,
          info: [['arch key', q.key], ['target', q.target], ['predicted', pct(q.predicted)], ['measured', pct(q.measured)]]}))}],
      {xLabel: 'predicted accuracy (%)', yLabel: 'measured accuracy (%)', diagonal: true, height: 320,
        describe: 'Predicted against measured validation accuracy of ' + p.points.length + ' candidates'});
    } else {
      missing($('chart-predictor'), 'No measured candidates (no slice reports in slices/).');
    }
    const ul = $('predictor-lines');
    if (p.search_predictor) ul.appendChild(el('li', null, 'the search used ' + p.search_predictor));
    p.lines.forEach(l => ul.appendChild(el('li', null, l)));
  }

  function latency(d) {
    const l = d.latency;
    const ul = $('latency-lines');
    if (!l) {
      missing($('chart-latency'), 'No device profile.');
      return;
    }
    if (l.points.length) {
      window.OfaCharts.scatter($('chart-latency'), [{label: 'measured candidates', size: 7, color: '#238b23',
        points: l.points.map(q => ({x: q.predicted_ms, y: q.measured_ms,
          info: [['arch key', q.key], ['predicted', fixed(q.predicted_ms, 4) + ' ms'], ['measured', fixed(q.measured_ms, 4) + ' ms']]}))}],
      {xLabel: 'predicted latency (ms)', yLabel: 'measured latency (ms)', diagonal: true, height: 320,
        describe: 'Predicted against measured latency of ' + l.points.length + ' subnets on ' + l.device});
    } else {
      missing($('chart-latency'), 'No latency was measured on this machine for ' + l.device + '.');
    }
    ul.appendChild(el('li', null, 'device ' + l.device + ': profile fitted on ' + l.profiled_subnets + ' subnets, fit error (MAPE) '
      + fixed(l.fit_mape_percent, 2) + '%, look-up table alone ' + fixed(l.raw_mape_percent, 2) + '%'));
    if (l.points.length) {
      ul.appendChild(el('li', null, 'held-out error (MAPE) on ' + l.points.length + ' measured candidates: '
        + fixed(l.held_out_mape_percent, 2) + '%'));
    }
  }

  function pareto(d) {
    const fig = $('pareto-figure');
    if (d.pareto_png) {
      const img = el('img');
      img.src = 'data:image/png;base64,' + d.pareto_png;
      img.alt = 'Pareto figure of the run: predicted accuracy against latency, the front, the compound-scaling baseline curve and the delivered slices';
      fig.appendChild(img);
    } else {
      missing(fig, 'No Pareto figure (slices/pareto.png is missing).');
    }
    const tbody = $('slices-table').tBodies[0];
    (d.slices || []).forEach(s => {
      const tr = el('tr');
      tr.appendChild(el('td', null, s.target));
      tr.appendChild(el('td', 'mono', s.key));
      const prec = el('td', null, (s.precision || 'fp32') + (s.auto ? ' (auto)' : ''));
      prec.dataset.precision = s.precision || 'fp32';
      if (s.auto) {
        prec.title = s.auto.why;
      }
      tr.appendChild(prec);
      tr.appendChild(el('td', 'num', fixed(s.macs / 1e6, 3)));
      tr.appendChild(el('td', 'num', fixed(s.params / 1e6, 3)));
      tr.appendChild(el('td', 'num', pct(s.predicted_accuracy)));
      tr.appendChild(el('td', 'num', pct(s.val_accuracy)));
      tr.appendChild(el('td', 'num', pct(s.test_accuracy)));
      tr.appendChild(el('td', 'num', fixed(s.predicted_latency_ms, 4)));
      tr.appendChild(el('td', 'num', fixed(s.measured_latency_ms, 4)));
      tbody.appendChild(tr);
    });
    // --precision auto: both candidates of each target, measured accuracy and latency with their own profiles
    const autos = (d.slices || []).filter(s => s.auto);
    if (autos.length) {
      const ul = el('ul', 'auto-choices');
      ul.id = 'auto-choices';
      const side = (name, x) => name + ' ' + x.arch + ': val ' + pct(x.val_accuracy) + ', test ' + pct(x.test_accuracy)
        + ', ' + (x.latency_ms === null || x.latency_ms === undefined ? 'latency not measured' : fixed(x.latency_ms, 4) + ' ms')
        + (x.over_budget ? ' (over budget)' : '');
      autos.forEach(s => {
        const li = el('li', null, s.target + ': auto chose ' + s.auto.chosen + ' (' + side('fp32', s.auto.fp32) + '; '
          + side('int8', s.auto.int8) + ')');
        li.dataset.target = s.target;
        ul.appendChild(li);
      });
      $('pareto').appendChild(ul);
    }
  }

  function costs(d) {
    const c = d.costs;
    const tbody = $('costs-table').tBodies[0];
    if (!c) {
      missing($('costs'), 'No costs recorded.');
      return;
    }
    const top = Math.max.apply(null, c.stages.map(s => s.wall_s).concat([1e-9]));
    c.stages.forEach(s => {
      const tr = el('tr');
      tr.dataset.stage = s.stage;
      tr.appendChild(el('td', null, s.stage));
      tr.appendChild(el('td', 'num', fixed(s.wall_s, 1)));
      tr.appendChild(el('td', 'num', fixed(s.cpu_s, 1)));
      tr.appendChild(el('td', 'num', fixed(s.energy_j, 0)));
      tr.appendChild(el('td', null, s.reused ? 'yes' : 'no'));
      const td = el('td');
      const bar = el('div', 'bar');
      bar.style.width = (100 * s.wall_s / top).toFixed(1) + '%';
      bar.setAttribute('role', 'img');
      bar.setAttribute('aria-label', fixed(100 * s.wall_s / c.total_wall_s, 0) + '% of the wall time');
      td.appendChild(bar);
      tr.appendChild(td);
      tbody.appendChild(tr);
    });
    $('costs-caption').textContent = 'Wall and CPU time of each stage: ' + fixed(c.total_wall_s, 1) + ' s wall, '
      + fixed(c.total_cpu_s, 1) + ' s CPU, about ' + fixed(c.energy_wh, 2) + ' Wh at ' + fixed(c.watts_per_core, 0) + ' W per busy core';
  }

  function render(d) {
    const parts = [summary, training, predictor, latency, pareto, costs];
    parts.forEach(f => {
      try {
        f(d);
      } catch (e) {
        fail('part of the report could not be drawn: ' + e.message);
      }
    });
    if (document.body.dataset.ready !== 'error') document.body.dataset.ready = 'true';
  }

  function token() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; }
  }

  async function fromServer() {
    const h = {};
    if (token()) h.Authorization = 'Bearer ' + token();
    let res;
    try {
      res = await fetch('/v1/report', {headers: h, cache: 'no-store'});
    } catch (e) {
      fail('cannot reach the server (' + e.message + ')');
      return;
    }
    const text = await res.text();
    let body = null;
    try { body = JSON.parse(text); } catch (e) { body = null; }
    if (!res.ok) {
      fail('Error ' + res.status + ': ' + (body && body.error ? body.error : text.slice(0, 300))
        + (res.status === 401 ? ' (enter the token on the slicing page first)' : ''));
      return;
    }
    render(body);
  }

  const inline = document.getElementById('report-data');
  if (inline) {
    try {
      render(JSON.parse(inline.textContent));
    } catch (e) {
      fail('the report data is not readable: ' + e.message);
    }
  } else {
    fromServer();
  }
})();
