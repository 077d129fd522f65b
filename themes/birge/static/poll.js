/* birge polls: forms that vote in place and show live results; texts from data-t-*. */
(() => {
  const forms = [...document.querySelectorAll('form[data-poll]')];
  const el = (tag, className, textContent = '') => Object.assign(document.createElement(tag), { className, textContent });
  const t = (form, key, n) => (form.dataset['t' + key] || '').replace('{n}', n);
  // Labels in the page's language.
  const api = (form, tail) => form.action.replace(/\/vote$/, tail) + '?lang=' + document.documentElement.lang;
  const say = (form, text) => (form.querySelector('.poll-message').textContent = text);
  // Spaces between parts keep words apart for screen readers.
  const add = (parent, ...kids) => (kids.forEach((k, i) => parent.append(...(i ? [' ', k] : [k]))), parent);
  // This reader's vote per poll, where storage works.
  const memory = (id, chosen) => {
    try {
      if (chosen) localStorage['birge-poll:' + id] = JSON.stringify(chosen);
      chosen = JSON.parse(localStorage['birge-poll:' + id]);
    } catch (e) {}
    return chosen;
  };

  // One widget from a poll body; `chosen`: this reader's vote, when known.
  const draw = (form, poll, chosen, message) => {
    const $ = sel => form.querySelector(sel);
    const status = $('.poll-status');
    const open = poll.state === 'open';
    const closed = poll.state === 'closed';
    const total = el('p', 'poll-total', t(form, poll.total ? 'Total' : 'None', poll.total));
    const result = o => {
      const pct = Math.round(o.percent) + '%';
      const bar = el('span', 'poll-bar');
      bar.appendChild(el('span', '')).style.width = pct;
      const votes = el('span', 'poll-votes', t(form, o.votes === 1 ? 'VotesOne' : 'Votes', o.votes));
      return [add(el('span', 'poll-result'), votes, el('span', 'poll-percent', pct)), bar];
    };
    message = message || (status || open ? '' : t(form, closed ? 'Closed' : 'Upcoming'));
    form.dataset.total = poll.total;
    $('fieldset').disabled = !open;
    if (status) status.hidden = open;
    // Results instead of inputs; a quiz's answer comes to voters or once closed.
    if (chosen || poll.answer != null || closed) {
      const list = el('ul', 'poll-results');
      poll.options.forEach((o, i) => {
        const li = el('li', 'poll-row');
        const label = el('span', 'poll-label', o.label);
        const mark = (cls, key, tag) => li.classList.add(cls) || label.append(' ', el(tag, 'poll-mark', t(form, key)));
        if (chosen && chosen.includes(i)) mark('is-chosen', 'Yours', 'span');
        if (poll.answer === i) mark('is-answer', 'Answer', 'strong');
        list.append(add(li, label, ...result(o)));
      });
      $('.poll-live').replaceChildren($('.poll-message'), list, total);
      form.classList.add('is-done');
      message = message || (open ? t(form, 'Already') : '');
    } else {
      form.querySelectorAll('.poll-option').forEach((li, i) => {
        li.querySelectorAll('.poll-result,.poll-bar').forEach(x => x.remove());
        if (poll.total && poll.options[i]) add(li, ...result(poll.options[i]));
      });
      $('.poll-total').replaceWith(total);
    }
    say(form, message);
  };
  const show = (poll, message, chosen) => {
    chosen = memory(poll.id, chosen);
    forms.filter(f => f.dataset.poll === poll.id).forEach(form => draw(form, poll, chosen, message));
  };

  const submit = async event => {
    const form = event.currentTarget;
    const chosen = [...form.querySelectorAll('[name=option]:checked')].map(i => +i.value);
    const button = form.querySelector('[type=submit]');
    event.preventDefault();
    if (!chosen.length) return say(form, t(form, 'Choose'));
    button.disabled = true;
    const response = await fetch(api(form, '/vote'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(form.dataset.kind === 'multiple' ? { options: chosen } : { option: chosen[0] }),
    }).catch(() => null);
    button.disabled = false;
    if (!response) return form.submit(); // no answer: post the plain form
    const status = response.status;
    const ok = status === 200;
    const body = await response.json().catch(() => ({}));
    const poll = ok ? body : body.poll;
    const again = body.error === 'already_voted';
    if (poll && poll.options && (ok || status === 409)) {
      show(poll, t(form, ok ? 'Thanks' : again ? 'Already' : ''), ok ? chosen : again && (memory(poll.id) || []));
      // The button is gone: keep focus in the widget.
      if (form.classList.contains('is-done')) form.querySelector('.poll-live').focus();
    } else {
      say(form, t(form, status === 429 ? 'Busy' : status === 422 ? 'Choose' : 'Error'));
    }
  };

  forms.forEach(form => form.addEventListener('submit', submit));
  // One request per poll, however many widgets show it.
  new Map(forms.map(f => [f.dataset.poll, api(f, '')])).forEach(url =>
    fetch(url)
      .then(r => (r.ok ? r.json() : null))
      .then(poll => poll && poll.options && show(poll))
      .catch(() => {}), // the build's counts stay
  );
})();
