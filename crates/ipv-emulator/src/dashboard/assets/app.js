// The ipv emulator dashboard. Reads the control API under /__emulator/ and polls it
// every second. Everything that came from the network goes into the page as text
// (textContent, attribute values), never as markup.
'use strict';

const TOKEN = document.querySelector('meta[name="emulator-token"]').content;
const API = '/__emulator/';
const POLL_MS = 1000;
const PAGE = 50;

const ui = {
  view: 'overview',
  ordersPage: 1,
  instPage: 1,
  chartApp: '',
  busy: false,
};

function $(id) { return document.getElementById(id); }

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function statusClass(label) { return 'status-' + String(label).replace(/[^a-z]+/gi, '-').toLowerCase(); }

function when(iso) {
  if (!iso) return '';
  return String(iso).replace('T', ' ').replace(/\.\d+/, '').replace('Z', '');
}

// With milliseconds, for callback attempts a few milliseconds apart.
function whenMs(iso) {
  if (!iso) return '';
  return String(iso).replace('T', ' ').replace(/(\.\d{3})\d*/, '$1').replace('Z', '');
}

async function get(route) {
  const resp = await fetch(API + route, { cache: 'no-store', credentials: 'same-origin' });
  const body = await resp.json();
  if (!resp.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + resp.status);
  return body;
}

async function post(route, body) {
  const resp = await fetch(API + route, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-Emulator-Token': TOKEN },
    body: JSON.stringify(body === undefined ? {} : body),
  });
  const answer = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(answer && answer.error ? answer.error : 'HTTP ' + resp.status);
  return answer;
}

function say(text, isError) {
  const m = $('message');
  m.textContent = text;
  m.className = isError ? 'error' : '';
}

async function act(what, route, body) {
  try {
    await post(route, body);
    say(what + ': done');
  } catch (e) {
    say(what + ': ' + e.message, true);
  }
  await refresh();
}

// The rows each table shows now, so an unchanged poll leaves the table (and a button
// the user is about to press) alone.
const shown = new WeakMap();

function fillRows(tbody, rows, makeRow) {
  const key = JSON.stringify(rows);
  if (shown.get(tbody) === key) return;
  shown.set(tbody, key);
  const fresh = document.createDocumentFragment();
  for (const row of rows) fresh.appendChild(makeRow(row));
  tbody.replaceChildren(fresh);
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    if (c instanceof Node) tr.appendChild(c);
    else tr.appendChild(el('td', c));
  }
  return tr;
}

function setOptions(select, values, keepFirst) {
  const current = select.value;
  const first = keepFirst ? select.options[0] : null;
  const opts = [];
  if (first) opts.push(first);
  for (const v of values) {
    const o = el('option', v);
    o.value = v;
    opts.push(o);
  }
  if (select.options.length === opts.length && values.every((v, i) => select.options[i + (first ? 1 : 0)].value === v)) return;
  select.replaceChildren(...opts);
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

// ---- Apps, chart, controls -------------------------------------------------------

async function loadOverview(summary) {
  const keys = summary.apps.map((a) => a.appKey);
  setOptions($('chart-app'), keys, false);
  setOptions($('topup-app'), keys, false);
  if (!ui.chartApp || !keys.includes(ui.chartApp)) ui.chartApp = keys[0] || '';
  $('chart-app').value = ui.chartApp;
  const histories = await Promise.all(keys.map((k) => get('balance?appKey=' + encodeURIComponent(k))));
  fillRows($('apps-table').tBodies[0], summary.apps, (a) => {
    const h = histories.find((x) => x.appKey === a.appKey) || {};
    const tr = row([a.appKey, a.balance, h.credit, h.spent, a.topUps, a.orders, a.liveInstances]);
    tr.dataset.app = a.appKey;
    tr.children[1].className = 'num balance';
    return tr;
  });
  const chosen = histories.find((x) => x.appKey === ui.chartApp);
  if (chosen) {
    // The balance holds until now: the line runs on to the emulator clock.
    const last = chosen.points[chosen.points.length - 1];
    const points = chosen.points.concat(last && Date.parse(ui.now) > Date.parse(last.at)
      ? [{ at: ui.now, balance: last.balance, kind: 'now', amount: '', reference: '' }] : []);
    drawChart(points);
  }
  const [products, faults] = await Promise.all([get('products'), get('faults')]);
  setOptions($('stock-product'), products.map((p) => p.productNo), false);
  const p = products.find((x) => x.productNo === $('stock-product').value);
  $('stock-now').textContent = p ? 'now ' + p.inventory : '';
  showFaults(faults);
}

function showFaults(f) {
  const on = [];
  if (f.http5xxRate) on.push('HTTP 5xx ' + f.http5xxRate);
  if (f.systemErrorRate) on.push('code 500 ' + f.systemErrorRate);
  if (f.dropAfterApplyRate) on.push('drop ' + f.dropAfterApplyRate);
  if (f.latencyMs) on.push('latency ' + f.latencyMs + ' ms');
  if (f.duplicateCallbacks) on.push('duplicate callbacks');
  $('faults-now').textContent = on.length ? 'in force: ' + on.join(', ') : 'no faults';
  $('faults-now').dataset.active = on.length ? 'yes' : 'no';
  const focused = document.activeElement;
  const fields = [['fault-http5xx', f.http5xxRate], ['fault-system', f.systemErrorRate],
    ['fault-drop', f.dropAfterApplyRate], ['fault-latency', f.latencyMs]];
  for (const [id, v] of fields) if ($(id) !== focused && !$(id).dataset.edited) $(id).value = v || 0;
  if (!$('fault-dup').dataset.edited) $('fault-dup').checked = !!f.duplicateCallbacks;
  ui.faults = f;
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function drawChart(points) {
  const W = Math.max(400, Math.round($('chart').clientWidth - 16)), H = 220, L = 70, R = 10, T = 10, B = 30;
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'balance over time' });
  const ys = points.map((p) => parseFloat(p.balance));
  const ts = points.map((p) => Date.parse(p.at));
  let lo = Math.min(...ys), hi = Math.max(...ys);
  if (hi === lo) { hi += 1; lo -= 1; }
  const t0 = Math.min(...ts), t1 = Math.max(...ts);
  // Points are spread by their order when they share a time (an instant clock).
  const x = (i) => (t1 > t0 ? L + ((ts[i] - t0) / (t1 - t0)) * (W - L - R) : L + (i / Math.max(1, points.length - 1)) * (W - L - R));
  const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
  root.appendChild(svg('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }));
  root.appendChild(svg('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }));
  root.appendChild(svg('text', { x: 4, y: y(hi) + 4 }, hi.toFixed(2)));
  root.appendChild(svg('text', { x: 4, y: y(lo) + 4 }, lo.toFixed(2)));
  if (points.length) {
    root.appendChild(svg('text', { x: L, y: H - 8 }, when(points[0].at)));
    root.appendChild(svg('text', { x: W - R, y: H - 8, 'text-anchor': 'end' }, when(points[points.length - 1].at)));
  }
  // A step line: the balance holds until the next movement.
  let d = '';
  points.forEach((p, i) => {
    d += (i === 0 ? 'M' : 'H' + x(i).toFixed(1) + 'V') + (i === 0 ? `${x(i).toFixed(1)},${y(ys[i]).toFixed(1)}` : y(ys[i]).toFixed(1));
  });
  root.appendChild(svg('path', { class: 'line', d }));
  points.forEach((p, i) => {
    const dot = svg('circle', { cx: x(i), cy: y(ys[i]), r: 3 });
    dot.appendChild(svg('title', {}, `${when(p.at)} ${p.kind} ${p.amount} ${p.reference} -> ${p.balance}`));
    root.appendChild(dot);
  });
  $('chart').replaceChildren(root);
}

// ---- Orders ----------------------------------------------------------------------

async function loadOrders(summary) {
  setOptions($('orders-app'), summary.apps.map((a) => a.appKey), true);
  const q = new URLSearchParams({ page: ui.ordersPage, perPage: PAGE });
  if ($('orders-status').value) q.set('status', $('orders-status').value);
  if ($('orders-app').value) q.set('appKey', $('orders-app').value);
  const page = await get('orders?' + q);
  $('orders-info').textContent = pageInfo(page);
  ui.ordersTotal = page.total;
  fillRows($('orders-table').tBodies[0], page.rows, (o) => {
    const status = el('td', o.status, 'status ' + statusClass(o.status));
    const moves = el('td', o.moves.map((m) => `${m.status} ${when(m.at)}`).join(' → '), 'moves');
    const more = o.instanceCount > o.instances.length ? ` (+${o.instanceCount - o.instances.length})` : '';
    const tr = row([o.orderNo, o.appOrderNo, o.appKey, o.orderType, status, moves,
      el('td', o.amount, 'num'), el('td', o.refunded, 'num'), `${o.successCount}/${o.count}`,
      el('td', o.instances.join(' ') + more, 'mono'), o.note]);
    tr.dataset.orderNo = o.orderNo;
    tr.dataset.status = o.status;
    return tr;
  });
}

function pageInfo(page) {
  const pages = Math.max(1, Math.ceil(page.total / page.perPage));
  return `${page.total} matching, page ${page.page} of ${pages}`;
}

// ---- Instances -------------------------------------------------------------------

async function loadInstances() {
  const q = new URLSearchParams({ page: ui.instPage, perPage: PAGE });
  if ($('inst-status').value) q.set('status', $('inst-status').value);
  if ($('inst-product').value.trim()) q.set('productNo', $('inst-product').value.trim());
  if ($('inst-days').value !== '') q.set('expiresWithinDays', $('inst-days').value);
  const page = await get('instances?' + q);
  $('instances-info').textContent = pageInfo(page);
  ui.instTotal = page.total;
  fillRows($('instances-table').tBodies[0], page.rows, (i) => {
    const tr = row([i.instanceNo, i.appKey, i.productNo, el('td', i.status, 'status ' + statusClass(i.status)),
      el('td', `${i.ip}:${i.port}`, 'mono'), when(i.userExpired), i.orderNo]);
    tr.dataset.instanceNo = i.instanceNo;
    tr.dataset.status = i.status;
    return tr;
  });
}

// ---- Callbacks -------------------------------------------------------------------

async function loadCallbacks() {
  const log = await get('deliveries?limit=200');
  $('callbacks-info').textContent = `${log.total} attempts logged; ${log.queued.length} callbacks queued for another attempt`;
  const attempts = log.attempts.map((a) => Object.assign({ queued: log.queued.includes(a.id) }, a));
  fillRows($('callbacks-table').tBodies[0], attempts, (a) => {
    const resend = document.createElement('td');
    if (!a.queued) {
      const b = el('button', 'Resend', 'resend');
      b.type = 'button';
      b.dataset.id = String(a.id);
      resend.appendChild(b);
    } else {
      resend.textContent = 'queued';
    }
    const outcome = el('td', a.outcome + (a.duplicate ? ' (duplicate)' : ''), a.acknowledged ? 'ack-yes' : 'ack-no');
    const tr = row([a.id, `${a.type} ${a.no}${a.op ? ' op ' + a.op : ''}`, a.attempt, whenMs(a.at),
      el('td', a.url, 'url'), a.statusCode === null || a.statusCode === undefined ? '' : a.statusCode,
      el('td', a.answer, 'answer'), el('td', a.latencyMs + ' ms', 'num'), outcome, whenMs(a.nextAttemptAt), resend]);
    tr.dataset.id = String(a.id);
    tr.dataset.attempt = String(a.attempt);
    return tr;
  });
}

// ---- Accounts --------------------------------------------------------------------

async function loadAccounts() {
  const acc = await get('accounts');
  const mains = [];
  for (const m of acc.mainAccounts) {
    const list = m.allotments.length ? m.allotments : [null];
    for (const a of list) mains.push([m, a]);
  }
  fillRows($('main-accounts-table').tBodies[0], mains, ([m, a]) => row([m.appKey, m.appUsername, m.username, m.status,
    a ? a.productNo : '', a ? `${a.flowUsedMb} / ${a.flowTotalMb}` : '', a ? `${a.ipUsed} / ${a.ipTotal}` : '']));
  fillRows($('proxy-users-table').tBodies[0], acc.proxyUsers, (u) => row([u.appKey, u.appUsername, u.mainAppUsername,
    u.status, `${(u.usedBytes / 1048576).toFixed(1)} MB`, u.limitFlowMb < 0 ? 'none' : u.limitFlowMb + ' MB']));
}

// ---- Refresh loop ----------------------------------------------------------------

async function refresh() {
  if (ui.busy) return;
  ui.busy = true;
  try {
    const [clock, summary] = await Promise.all([get('clock'), get('summary')]);
    ui.now = clock.now;
    $('clock').textContent = when(clock.now) + (clock.offsetSeconds ? ` (+${clock.offsetSeconds} s)` : '');
    if (ui.view === 'overview') await loadOverview(summary);
    else if (ui.view === 'orders') await loadOrders(summary);
    else if (ui.view === 'instances') await loadInstances();
    else if (ui.view === 'callbacks') await loadCallbacks();
    else if (ui.view === 'accounts') await loadAccounts();
    $('live').textContent = 'live';
    $('live').className = 'live ok';
    document.body.dataset.refreshed = String(Date.now());
  } catch (e) {
    $('live').textContent = 'not connected: ' + e.message;
    $('live').className = 'live';
  } finally {
    ui.busy = false;
  }
}

function show(view) {
  ui.view = view;
  for (const s of document.querySelectorAll('.view')) s.hidden = s.id !== 'view-' + view;
  for (const t of document.querySelectorAll('.tab')) t.classList.toggle('active', t.dataset.view === view);
  refresh();
}

function number(id) { return Number($(id).value || 0); }

function wire() {
  for (const t of document.querySelectorAll('.tab')) t.addEventListener('click', () => show(t.dataset.view));
  $('advance-btn').addEventListener('click', () => act('advance clock', 'clock/advance', { seconds: number('advance-seconds') }));
  for (const b of document.querySelectorAll('.advance-preset')) {
    b.addEventListener('click', () => act('advance clock', 'clock/advance', { seconds: Number(b.dataset.seconds) }));
  }
  $('stock-btn').addEventListener('click', () => act('set stock', 'products/stock',
    { productNo: $('stock-product').value, inventory: number('stock-inventory') }));
  $('topup-btn').addEventListener('click', () => act('top up', 'topup',
    { appKey: $('topup-app').value, amount: $('topup-amount').value.trim() }));
  for (const id of ['fault-http5xx', 'fault-system', 'fault-drop', 'fault-latency', 'fault-dup']) {
    $(id).addEventListener('input', () => { $(id).dataset.edited = 'yes'; });
  }
  const clearEdits = () => { for (const i of document.querySelectorAll('fieldset input')) delete i.dataset.edited; };
  $('faults-btn').addEventListener('click', async () => {
    const f = Object.assign({}, ui.faults || {}, {
      http5xxRate: number('fault-http5xx'), systemErrorRate: number('fault-system'),
      dropAfterApplyRate: number('fault-drop'), latencyMs: number('fault-latency'),
      duplicateCallbacks: $('fault-dup').checked,
    });
    clearEdits();
    await act('faults', 'faults', f);
  });
  $('faults-off-btn').addEventListener('click', async () => {
    clearEdits();
    await act('faults off', 'faults', { seed: ui.faults ? ui.faults.seed : 0 });
  });
  $('process-btn').addEventListener('click', () => act('process orders', 'orders/process'));
  $('reset-btn').addEventListener('click', () => {
    if (!$('reset-confirm').checked) { say('reset: tick "yes, reset everything" first', true); return; }
    $('reset-confirm').checked = false;
    act('reset', 'reset');
  });
  $('chart-app').addEventListener('change', () => { ui.chartApp = $('chart-app').value; refresh(); });
  $('stock-product').addEventListener('change', refresh);
  $('orders-status').addEventListener('change', () => { ui.ordersPage = 1; refresh(); });
  $('orders-app').addEventListener('change', () => { ui.ordersPage = 1; refresh(); });
  $('orders-prev').addEventListener('click', () => { ui.ordersPage = Math.max(1, ui.ordersPage - 1); refresh(); });
  $('orders-next').addEventListener('click', () => {
    if (ui.ordersPage * PAGE < (ui.ordersTotal || 0)) ui.ordersPage += 1;
    refresh();
  });
  $('inst-apply').addEventListener('click', () => { ui.instPage = 1; refresh(); });
  $('inst-status').addEventListener('change', () => { ui.instPage = 1; refresh(); });
  $('inst-prev').addEventListener('click', () => { ui.instPage = Math.max(1, ui.instPage - 1); refresh(); });
  $('inst-next').addEventListener('click', () => {
    if (ui.instPage * PAGE < (ui.instTotal || 0)) ui.instPage += 1;
    refresh();
  });
  $('callbacks-table').addEventListener('click', (ev) => {
    const b = ev.target.closest('button.resend');
    if (b) act('resend callback ' + b.dataset.id, 'callbacks/resend', { id: Number(b.dataset.id) });
  });
}

wire();
show('overview');
setInterval(refresh, POLL_MS);
