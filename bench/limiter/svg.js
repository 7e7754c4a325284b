// bench/limiter/svg.js — the convergence chart as a self-contained SVG (polylines, axes,
// legend; no plotting library): the upstream's capacity, the learned limit, Switchboard's
// requests in flight and the upstream's streams in flight over time.
'use strict';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// series: [{name, color, dash?, width?, points: [[seconds, value], …], step?}]
function lineChart({ title, subtitle, xLabel, yLabel, series, width = 900, height = 420 }) {
  const m = { left: 56, right: 170, top: 52, bottom: 48 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMaxRaw = Math.max(1, ...all.map((p) => p[1]));
  const yStep = yMaxRaw > 100 ? 20 : 10;
  const yMax = Math.ceil((yMaxRaw * 1.05) / yStep) * yStep;
  const xStep = xMax > 30 ? 5 : 2;
  const X = (x) => (m.left + (x / xMax) * w).toFixed(1);
  const Y = (y) => (m.top + h - (y / yMax) * h).toFixed(1);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${m.left}" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="${m.left}" y="38" fill="#555">${esc(subtitle)}</text>`);
  for (let y = 0; y <= yMax; y += yStep) {
    out.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${Y(y)}" y2="${Y(y)}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${m.left - 6}" y="${Number(Y(y)) + 4}" text-anchor="end" fill="#444">${y}</text>`);
  }
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    out.push(`<line x1="${X(x)}" x2="${X(x)}" y1="${m.top + h}" y2="${m.top + h + 4}" stroke="#444"/>`);
    out.push(`<text x="${X(x)}" y="${m.top + h + 18}" text-anchor="middle" fill="#444">${x}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${w}" height="${h}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${m.left + w / 2}" y="${height - 10}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = [];
    s.points.forEach((p, k) => {
      if (s.step && k > 0) pts.push(`${X(p[0])},${Y(s.points[k - 1][1])}`);
      pts.push(`${X(p[0])},${Y(p[1])}`);
    });
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.width || 1.5}"${dash} stroke-linejoin="round" points="${pts.join(' ')}"/>`);
    const ly = m.top + 10 + i * 20;
    out.push(`<line x1="${m.left + w + 12}" x2="${m.left + w + 36}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="${s.width || 1.5}"${dash}/>`);
    out.push(`<text x="${m.left + w + 42}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

module.exports = { lineChart };
