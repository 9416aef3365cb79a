'use strict';
/*
 * Charts of the ofa4j pages, drawn with uPlot (bundled with the application, never from a CDN).
 * One function: scatter(host, series, opts) draws points (and optional lines through a series),
 * shows a text tooltip for the point nearest the mouse, and lets the keyboard step through the
 * points (Left/Right arrows, Home/End, Escape). Every text shown goes through textContent.
 */
window.OfaCharts = (function () {
  const COLORS = ['#1f6fb4', '#c4262e', '#238b23', '#7d4fa8', '#d96b00', '#138d9c', '#8c564b', '#c2408f'];

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  /**
   * series: [{label, points: [{x, y, info: [[name, value], ...]}], line, color, size, ring}]
   * opts: {xLabel, yLabel, height, vline (chart x or null), diagonal (y = x line), describe (text for
   * screen readers), onFocus(point)}
   */
  function scatter(host, series, opts) {
    while (host.firstChild) host.removeChild(host.firstChild);
    const rows = [];
    series.forEach((s, si) => s.points.forEach(p => {
      if (Number.isFinite(p.x) && Number.isFinite(p.y)) rows.push({x: p.x, y: p.y, si: si, p: p});
    }));
    rows.sort((a, b) => a.x - b.x);
    const data = [rows.map(r => r.x)];
    series.forEach((s, si) => data.push(rows.map(r => (r.si === si ? r.y : null))));
    const uSeries = [{label: opts.xLabel}];
    series.forEach((s, i) => {
      const c = s.color || COLORS[i % COLORS.length];
      uSeries.push({
        label: s.label, stroke: c, width: s.line ? 2 : 0, spanGaps: true,
        paths: s.line ? undefined : () => null,
        points: {show: true, size: s.size || 7, stroke: c, fill: s.hollow ? '#fff' : c, width: s.hollow ? 2 : 1},
      });
    });
    let focused = -1;
    let vline = opts.vline;
    const tip = el('div', 'chart-tip');
    tip.setAttribute('role', 'status');
    tip.setAttribute('aria-live', 'polite');
    tip.hidden = true;

    function range(u, min, max) {
      if (!(Number.isFinite(min) && Number.isFinite(max))) return [0, 1];
      if (vline !== null && vline !== undefined && Number.isFinite(vline) && u && u.series && min <= max) {
        min = Math.min(min, vline);
        max = Math.max(max, vline);
      }
      const pad = (max - min) * 0.06 || Math.abs(max) * 0.06 || 1;
      return [min - pad, max + pad];
    }
    const all = rows.map(r => r.x).concat(rows.map(r => r.y));
    const both = opts.diagonal && all.length ? [Math.min.apply(null, all), Math.max.apply(null, all)] : null;

    const u = new uPlot({
      width: Math.max(280, host.clientWidth || 600),
      height: opts.height || 360,
      series: uSeries,
      legend: {live: false},
      cursor: {points: {show: false}, drag: {x: false, y: false, setScale: false}},
      scales: {
        x: {time: false, range: (u, min, max) => (both ? range(null, both[0], both[1]) : range(u, min, max))},
        y: {range: (u, min, max) => (both ? range(null, both[0], both[1]) : range(null, min, max))},
      },
      axes: [{label: opts.xLabel, stroke: '#333'}, {label: opts.yLabel, stroke: '#333', size: 60}],
      hooks: {
        draw: [u => {
          const ctx = u.ctx;
          ctx.save();
          if (opts.diagonal && both) {
            const [a, b] = range(null, both[0], both[1]);
            ctx.strokeStyle = '#888';
            ctx.setLineDash([6, 4]);
            ctx.lineWidth = 1;
            ctx.beginPath();
            ctx.moveTo(u.valToPos(a, 'x', true), u.valToPos(a, 'y', true));
            ctx.lineTo(u.valToPos(b, 'x', true), u.valToPos(b, 'y', true));
            ctx.stroke();
          }
          if (vline !== null && vline !== undefined && Number.isFinite(vline)) {
            const x = u.valToPos(vline, 'x', true);
            ctx.strokeStyle = '#444';
            ctx.setLineDash([3, 3]);
            ctx.lineWidth = 1.5;
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
          }
          if (focused >= 0) {
            const r = rows[focused];
            ctx.setLineDash([]);
            ctx.strokeStyle = '#000';
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.beginPath();
            ctx.arc(u.valToPos(r.x, 'x', true), u.valToPos(r.y, 'y', true), 9 * devicePixelRatio, 0, 2 * Math.PI);
            ctx.stroke();
          }
          ctx.restore();
        }],
        setCursor: [u => {
          const left = u.cursor.left;
          const top = u.cursor.top;
          if (left === null || left === undefined || left < 0) {
            return;
          }
          let best = -1;
          let bestD = 20 * 20;
          rows.forEach((r, i) => {
            const dx = u.valToPos(r.x, 'x') - left;
            const dy = u.valToPos(r.y, 'y') - top;
            const d = dx * dx + dy * dy;
            if (d <= bestD) {
              bestD = d;
              best = i;
            }
          });
          if (best >= 0) show(best); else hide();
        }],
      },
    }, data, host);
    u.over.appendChild(tip);

    function show(i) {
      focused = i;
      const r = rows[i];
      while (tip.firstChild) tip.removeChild(tip.firstChild);
      tip.appendChild(el('div', 'chart-tip-title', series[r.si].label));
      (r.p.info || []).forEach(pair => {
        const line = el('div', 'chart-tip-row');
        line.appendChild(el('span', 'chart-tip-name', pair[0] + ': '));
        line.appendChild(el('span', 'chart-tip-value', pair[1]));
        tip.appendChild(line);
      });
      tip.hidden = false;
      const px = u.valToPos(r.x, 'x');
      const py = u.valToPos(r.y, 'y');
      const w = u.over.clientWidth;
      tip.style.left = (px > w * 0.6 ? Math.max(0, px - 12 - tip.offsetWidth) : px + 12) + 'px';
      tip.style.top = Math.max(0, py - 10) + 'px';
      u.redraw(false, false);
      if (opts.onFocus) opts.onFocus(r.p, series[r.si]);
    }

    function hide() {
      if (focused < 0 && tip.hidden) return;
      focused = -1;
      tip.hidden = true;
      u.redraw(false, false);
    }

    host.tabIndex = 0;
    host.setAttribute('role', 'group');
    if (opts.describe) host.setAttribute('aria-label', opts.describe);
    // a host keeps one chart: the handlers of the chart drawn before this one go
    if (host.ofaHandlers) {
      host.removeEventListener('keydown', host.ofaHandlers.key);
      host.removeEventListener('blur', host.ofaHandlers.blur);
    }
    const onKey = ev => {
      if (!rows.length) return;
      let i = focused;
      if (ev.key === 'ArrowRight' || ev.key === 'ArrowUp') i = Math.min(rows.length - 1, i + 1);
      else if (ev.key === 'ArrowLeft' || ev.key === 'ArrowDown') i = Math.max(0, i < 0 ? 0 : i - 1);
      else if (ev.key === 'Home') i = 0;
      else if (ev.key === 'End') i = rows.length - 1;
      else if (ev.key === 'Escape') { hide(); return; }
      else return;
      ev.preventDefault();
      show(i);
    };
    host.ofaHandlers = {key: onKey, blur: hide};
    host.addEventListener('keydown', onKey);
    host.addEventListener('blur', hide);
    u.over.addEventListener('mouseleave', hide);

    let ro = null;
    if (window.ResizeObserver) {
      ro = new ResizeObserver(() => {
        const w = Math.max(280, host.clientWidth);
        if (Math.abs(w - u.width) > 2) u.setSize({width: w, height: u.height});
      });
      ro.observe(host);
    }
    const chart = {
      uplot: u,
      points: rows.length,
      focus: show,
      /** Shows the first point of series {@code si} (0-based), as the keyboard would. */
      focusSeries(si) {
        const i = rows.findIndex(r => r.si === si);
        if (i >= 0) show(i);
      },
      /** Moves the dashed vertical line (the budget) and rescales. */
      setVline(x) {
        vline = x;
        u.setData(u.data, true);
      },
      destroy() { if (ro) ro.disconnect(); u.destroy(); },
    };
    host.ofaChart = chart;
    return chart;
  }

  return {scatter: scatter, COLORS: COLORS, el: el};
})();
