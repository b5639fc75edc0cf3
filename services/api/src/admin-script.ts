/**
 * The admin page's script (served as `/admin/admin.js`), plain browser JavaScript with no framework and no
 * build step. Rules it keeps: the API key lives only in sessionStorage and travels only as a Bearer header to
 * this origin; every value from the server is shown with textContent (never innerHTML), so a channel or user
 * id holding markup stays text. Kept as a string so the esbuild server bundle needs no asset files.
 */
export const ADMIN_SCRIPT = `'use strict';
(function () {
  var KEY_STORAGE = 'switchboard.admin.apiKey';
  var REFRESH_MS = 5000;
  var timer = 0;

  function byId(id) { return document.getElementById(id); }

  function say(text, ok) {
    var status = byId('status');
    status.textContent = text;
    status.className = ok ? 'ok' : 'error';
  }

  function apiKey() { return sessionStorage.getItem(KEY_STORAGE) || ''; }

  async function api(method, path, body) {
    var key = apiKey();
    if (!key) throw new Error('paste an API key first');
    var init = { method: method, headers: { authorization: 'Bearer ' + key }, cache: 'no-store' };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    var response = await fetch(path, init);
    var text = await response.text();
    var json = {};
    try { json = text ? JSON.parse(text) : {}; } catch (e) { json = { error: { message: text } }; }
    if (!response.ok) {
      var error = json && json.error ? json.error : {};
      throw new Error(response.status + ' ' + (error.code ? error.code + ': ' : '') + (error.message || response.statusText));
    }
    return json;
  }

  function cell(row, text, className) {
    var td = document.createElement('td');
    td.textContent = text === undefined || text === null ? '' : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function when(ms) {
    return ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '';
  }

  // A channel name as a button that fills the presence and publish forms.
  function channelButton(channel, label) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = label;
    button.addEventListener('click', function () {
      byId('presence-channel').value = channel;
      byId('publish-channel').value = channel;
      showPresence().catch(function (e) { say(e.message, false); });
    });
    return button;
  }

  function renderNodes(result) {
    var body = byId('nodes').tBodies[0];
    body.replaceChildren();
    result.nodes.forEach(function (node) {
      var row = body.insertRow();
      row.dataset.node = node.nodeId;
      cell(row, node.nodeId, 'node-id');
      cell(row, node.connections, 'number connections');
      cell(row, when(node.startedAtMs));
      cell(row, when(node.lastHeartbeatMs));
      var channels = cell(row, '', 'busiest');
      node.busiestChannels.forEach(function (c, i) {
        if (i > 0) channels.appendChild(document.createTextNode(', '));
        channels.appendChild(channelButton(c.channel, c.channel + ' (' + c.subscribers + ')'));
      });
    });
    byId('totals').textContent =
      result.nodes.length + ' node(s), ' + result.connections + ' connection(s)';
    var channelBody = byId('channels').tBodies[0];
    channelBody.replaceChildren();
    result.busiestChannels.forEach(function (c) {
      var row = channelBody.insertRow();
      row.dataset.channel = c.channel;
      cell(row, '', 'channel').appendChild(channelButton(c.channel, c.channel));
      cell(row, c.subscribers, 'number subscribers');
      cell(row, c.nodes, 'number');
    });
  }

  async function refresh() {
    renderNodes(await api('GET', '/v1/admin/nodes'));
    say('Updated ' + new Date().toLocaleTimeString(), true);
  }

  function autoRefresh() {
    clearInterval(timer);
    timer = 0;
    if (!apiKey()) return;
    refresh().catch(function (e) { say(e.message, false); });
    timer = setInterval(function () {
      refresh().catch(function (e) { say(e.message, false); });
    }, REFRESH_MS);
  }

  async function showPresence() {
    var channel = byId('presence-channel').value.trim();
    if (!channel) throw new Error('enter a channel');
    var result = await api('GET', '/v1/presence/' + encodeURIComponent(channel));
    var body = byId('presence').tBodies[0];
    body.replaceChildren();
    result.clients.forEach(function (client) {
      var row = body.insertRow();
      row.dataset.user = client.userId;
      cell(row, client.userId, 'user');
      cell(row, client.connectionId);
      cell(row, client.info === undefined ? '' : JSON.stringify(client.info));
      var pick = document.createElement('button');
      pick.type = 'button';
      pick.className = 'link';
      pick.textContent = 'disconnect…';
      pick.addEventListener('click', function () {
        byId('disconnect-user').value = client.userId;
        byId('disconnect-user').focus();
      });
      cell(row, '').appendChild(pick);
    });
    say(result.clients.length + ' client(s) in ' + result.channel, true);
  }

  async function disconnect() {
    var user = byId('disconnect-user').value.trim();
    if (!user) throw new Error('enter a user id');
    var body = { reconnect: byId('disconnect-reconnect').checked };
    var reason = byId('disconnect-reason').value.trim();
    if (reason) body.reason = reason;
    await api('POST', '/v1/users/' + encodeURIComponent(user) + '/disconnect', body);
    say('Disconnect of user ' + user + ' accepted', true);
  }

  async function publish() {
    var channel = byId('publish-channel').value.trim();
    if (!channel) throw new Error('enter a channel');
    var text = byId('publish-data').value;
    var data;
    try { data = JSON.parse(text); } catch (e) { data = text; }
    await api('POST', '/v1/publish', { channel: channel, type: byId('publish-type').value.trim(), data: data });
    say('Published to ' + channel, true);
  }

  function onSubmit(id, action) {
    byId(id).addEventListener('submit', function (event) {
      event.preventDefault();
      action().catch(function (e) { say(e.message, false); });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    onSubmit('key-form', async function () {
      var key = byId('api-key').value.trim();
      if (!key) throw new Error('paste an API key first');
      sessionStorage.setItem(KEY_STORAGE, key);
      byId('api-key').value = '';
      autoRefresh();
    });
    byId('forget-key').addEventListener('click', function () {
      sessionStorage.removeItem(KEY_STORAGE);
      clearInterval(timer);
      timer = 0;
      say('Key forgotten', true);
    });
    byId('refresh').addEventListener('click', function () {
      refresh().catch(function (e) { say(e.message, false); });
    });
    onSubmit('presence-form', showPresence);
    onSubmit('disconnect-form', disconnect);
    onSubmit('publish-form', publish);
    if (apiKey()) autoRefresh();
    else say('Paste an API key to start', true);
  });
})();
`;
