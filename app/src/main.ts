// The page: connects to the node of `?rpc=` (default ws://127.0.0.1:9944), reads the events of
// the last blocks back, then follows every new block: its events feed the history, and a
// snapshot of the chain at that block is rendered. The forms sign with a dev account (dev and
// local chains) or the browser extension.
import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import { devAccounts, extensionAccounts, type TradingAccount } from './accounts';
import { connect, readDocs, rpcFromSearch, type Chain, type Docs } from './api';
import { calls, eventsAt } from './bindings';
import { readAccount, readSnapshot, type Market, type Snapshot } from './chain';
import { byId, escape, html, setHtml } from './dom';
import { block } from './format';
import { decodeEvents, History } from './history';
import { planClose, planTrade, sizeDecimals, suggestedLimit, type Side } from './trade';
import { ChainRefused, signAndSend } from './tx';
import { formatAmount, parseDecimal } from './units';
import { accountView, collateralOf, feedView, marketsView, silosView, type ViewContext } from './views';

const params = new URLSearchParams(location.search);
/** How many blocks of events to read back at start (`?history=`). */
const HISTORY_BLOCKS = Math.max(0, Number(params.get('history') ?? 200) || 0);

type Head = { number: number; hash: string };

class Page {
  private chain!: Chain;
  private docs!: Docs;
  private readonly history = new History();
  private accounts: TradingAccount[] = [];
  private selected: TradingAccount | null = null;
  private snapshot: Snapshot | null = null;
  private readonly names = new Map<string, string>();
  private blockMs = 6_000;
  /** The last block whose events were taken in. */
  private lastEvents = 0;
  private pending: Head | null = null;
  private running = false;

  private get api(): ApiPromise {
    return this.chain.api;
  }

  async start(): Promise<void> {
    const url = rpcFromSearch(location.search);
    byId<HTMLInputElement>('rpc-url').value = url;
    byId('rpc-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const next = new URLSearchParams(location.search);
      next.set('rpc', byId<HTMLInputElement>('rpc-url').value.trim());
      location.search = next.toString();
    });
    this.setConnection('connecting', `connecting to ${url}…`);
    try {
      this.chain = await connect(url);
    } catch (error) {
      this.setConnection('error', `cannot connect to ${url}: ${message(error)}. Is a node running there (with --rpc-cors all)?`);
      return;
    }
    this.docs = readDocs(this.api.registry);
    const minimumPeriod = (this.api.consts.timestamp?.minimumPeriod as unknown as { toNumber?: () => number } | undefined)?.toNumber?.();
    if (minimumPeriod) this.blockMs = minimumPeriod * 2;
    this.api.on('disconnected', () => this.setConnection('error', `disconnected from ${url}; reconnecting…`));
    this.api.on('connected', () => this.setConnection('connected', this.connectionText()));
    await this.setupAccounts();
    this.setupForms();
    this.setConnection('connected', this.connectionText());

    const head = await this.api.rpc.chain.getHeader();
    await this.readBack(head.number.toNumber());
    this.enqueue({ number: head.number.toNumber(), hash: head.hash.toHex() });
    await this.api.rpc.chain.subscribeNewHeads((header) => this.enqueue({ number: header.number.toNumber(), hash: header.hash.toHex() }));
  }

  private connectionText(): string {
    const c = this.chain;
    return `${c.name} (${c.chainType}, spec ${c.specVersion}) at ${c.url}${this.snapshot ? ` · best ${block(this.snapshot.number)}` : ''}`;
  }

  private setConnection(state: string, text: string): void {
    const element = byId('connection');
    element.dataset.state = state;
    if (this.snapshot) {
      element.dataset.block = String(this.snapshot.number);
      element.dataset.hash = this.snapshot.hash;
    }
    element.textContent = text;
  }

  // ---- accounts ----

  private async setupAccounts(): Promise<void> {
    const note = byId('account-note');
    if (this.chain.isDev) {
      this.accounts = await devAccounts(this.chain.ss58);
      note.textContent = `${this.chain.chainType} chain: the well-known dev accounts sign (never use them on a live chain).`;
    } else {
      note.textContent = 'Dev accounts are offered on Development and Local chains only: sign with your browser extension.';
    }
    for (const account of this.accounts) this.names.set(account.address, account.name);
    byId('extension-button').addEventListener('click', () => void this.loadExtension());
    byId('account-select').addEventListener('change', () => {
      const address = byId<HTMLSelectElement>('account-select').value;
      this.selected = this.accounts.find((a) => a.address === address) ?? null;
      void this.refreshAccount();
    });
    const wanted = params.get('account');
    this.selected = this.accounts.find((a) => a.name === wanted || a.address === wanted) ?? this.accounts[0] ?? null;
    this.renderAccountSelect();
    if (!this.chain.isDev) await this.loadExtension();
  }

  private async loadExtension(): Promise<void> {
    try {
      const found = await extensionAccounts('Bulwark', this.chain.ss58);
      const known = new Set(this.accounts.map((a) => a.address));
      this.accounts.push(...found.filter((a) => !known.has(a.address)));
      this.selected ??= found[0] ?? null;
      if (found.length === 0) this.showStatus('error', html`The extension gave no accounts: create or import one, and allow it on this chain.`);
      this.renderAccountSelect();
      await this.refreshAccount();
    } catch (error) {
      this.showStatus('error', html`${message(error)}`);
    }
  }

  private renderAccountSelect(): void {
    const select = byId<HTMLSelectElement>('account-select');
    select.innerHTML = this.accounts
      .map((a) => `<option value="${escape(a.address)}"${a === this.selected ? ' selected' : ''}>${escape(a.name)} · ${escape(a.address.slice(0, 8))}…</option>`)
      .join('') || '<option value="">no account</option>';
  }

  private async refreshAccount(): Promise<void> {
    const snapshot = this.snapshot;
    if (!snapshot) return;
    const address = this.selected?.address ?? null;
    snapshot.account = address ? await readAccount(this.api, snapshot.hash, address, snapshot.silos) : null;
    this.render();
  }

  // ---- blocks ----

  /** Reads the events of up to HISTORY_BLOCKS blocks before `head`, newest first, until state is pruned. */
  private async readBack(head: number): Promise<void> {
    const first = Math.max(1, head - HISTORY_BLOCKS);
    setHtml(byId('feed'), html`<p class="muted">reading blocks ${block(first)}–${block(head - 1)} back…</p>`);
    for (let end = head - 1; end >= first; end -= 16) {
      const numbers = Array.from({ length: Math.min(16, end - first + 1) }, (_, i) => end - i);
      try {
        const batches = await Promise.all(numbers.map(async (n) => {
          const hash = await this.api.rpc.chain.getBlockHash(n);
          return [n, decodeEvents(await eventsAt(this.api, hash.toString()))] as const;
        }));
        for (const [n, events] of batches) this.history.add(n, events, true);
      } catch {
        break; // pruned state: what was read stays
      }
    }
    this.lastEvents = head - 1;
  }

  private enqueue(head: Head): void {
    this.pending = head;
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.pending) {
      const head = this.pending;
      this.pending = null;
      try {
        await this.process(head);
      } catch (error) {
        console.error(error);
        this.setConnection('error', `block ${block(head.number)}: ${message(error)}`);
      }
    }
    this.running = false;
  }

  private async process(head: Head): Promise<void> {
    // Events of every block up to the head, in order (a block may come without its head event).
    for (let n = this.lastEvents + 1; n <= head.number; n++) {
      const hash = n === head.number ? head.hash : (await this.api.rpc.chain.getBlockHash(n)).toHex();
      this.history.add(n, decodeEvents(await eventsAt(this.api, hash.toString())), false);
      this.lastEvents = n;
    }
    const snapshot = await readSnapshot(this.api, head.hash, head.number, this.selected?.address ?? null);
    for (const market of snapshot.markets) {
      if (market.breaker) this.history.addSamples(market.id, market.breaker.samples);
    }
    this.snapshot = snapshot;
    this.render();
  }

  private render(): void {
    const snapshot = this.snapshot;
    if (!snapshot) return;
    const ctx: ViewContext = { snapshot, history: this.history, docs: this.docs, names: this.names, blockMs: this.blockMs };
    setHtml(byId('markets'), marketsView(ctx));
    setHtml(byId('silos'), silosView(ctx));
    setHtml(byId('account'), accountView(snapshot.account, ctx));
    setHtml(byId('feed'), feedView(ctx));
    this.fillSelects(snapshot);
    this.updatePreviews();
    this.setConnection('connected', this.connectionText());
  }

  // ---- forms ----

  private fillSelects(snapshot: Snapshot): void {
    const fill = (select: HTMLSelectElement, options: Array<[string, string]>) => {
      const content = options.map(([value, label]) => `<option value="${escape(value)}">${escape(label)}</option>`).join('');
      if (select.dataset.options === content) return;
      const current = select.value;
      select.innerHTML = content;
      select.dataset.options = content;
      if (options.some(([value]) => value === current)) select.value = current;
    };
    for (const select of document.querySelectorAll<HTMLSelectElement>('.silo-select')) {
      fill(select, snapshot.silos.map((s) => [String(s.id), `${s.id} (${s.collateral.symbol})`]));
    }
    for (const select of document.querySelectorAll<HTMLSelectElement>('.market-select')) {
      fill(select, snapshot.markets.map((m) => [String(m.id), m.symbol]));
    }
  }

  private market(selectId: string): Market | undefined {
    const id = Number(byId<HTMLSelectElement>(selectId).value);
    return this.snapshot?.markets.find((m) => m.id === id);
  }

  private value(id: string): string {
    return byId<HTMLInputElement>(id).value;
  }

  private updatePreviews(): void {
    const snapshot = this.snapshot;
    if (!snapshot) return;
    const list = (id: string, lines: string[], error?: string) =>
      setHtml(byId(id), html`${lines.map((line) => html`<li>${line}</li>`)}${error ? html`<li class="bad-text">${error}</li>` : ''}`);
    for (const kind of ['deposit', 'withdraw']) {
      const silo = snapshot.silos.find((s) => String(s.id) === byId<HTMLSelectElement>(`${kind}-silo`).value);
      if (!silo) continue;
      const text = this.value(`${kind}-amount`);
      let preview = `${silo.collateral.symbol}, asset ${silo.collateral.asset}, ${silo.collateral.decimals} decimals`;
      try {
        if (text) preview = `${formatAmount(parseDecimal(text, silo.collateral.decimals), silo.collateral.decimals)} ${silo.collateral.symbol} = ${parseDecimal(text, silo.collateral.decimals)} units (asset ${silo.collateral.asset})`;
      } catch (error) {
        preview = message(error);
      }
      byId(`${kind}-preview`).textContent = preview;
    }
    const market = this.market('trade-market');
    if (market) {
      const collateral = collateralOf(snapshot, market.silo);
      for (const element of document.querySelectorAll('#trade-form .base-symbol')) element.textContent = market.sizeDecimals === null ? 'size units' : market.base;
      for (const element of document.querySelectorAll('#trade-form .collateral-symbol')) element.textContent = collateral.symbol;
      const side = byId<HTMLSelectElement>('trade-side').value as Side;
      try {
        if (this.value('trade-size') && this.value('trade-price')) {
          list('trade-preview', planTrade(market, collateral, side, this.value('trade-size'), this.value('trade-margin'), this.value('trade-price')).lines);
        } else {
          list('trade-preview', [`size in ${market.base} (up to ${sizeDecimals(market)} decimals), margin in ${collateral.symbol}, acceptable price in USD per ${market.base}: the highest a buy may fill at, the lowest a sell may`]);
        }
      } catch (error) {
        list('trade-preview', [], message(error));
      }
    }
    const closing = this.market('close-market');
    if (closing) {
      for (const element of document.querySelectorAll('#close-form .base-symbol')) element.textContent = closing.base;
      const position = snapshot.account?.positions.find((p) => p.market === closing.id);
      try {
        if (!position) list('close-preview', [`no open position in ${closing.symbol}`]);
        else if (!this.value('close-price')) list('close-preview', [`acceptable price in USD per ${closing.base}: ${position.size > 0n ? 'the lowest to sell your long at' : 'the highest to buy your short back at'}`]);
        else list('close-preview', planClose(closing, collateralOf(snapshot, closing.silo), position.size, this.value('close-price')).lines);
      } catch (error) {
        list('close-preview', [], message(error));
      }
    }
    for (const kind of ['deposit', 'withdraw']) {
      const silo = snapshot.silos.find((s) => String(s.id) === byId<HTMLSelectElement>(`${kind}-silo`).value);
      for (const element of document.querySelectorAll(`#${kind}-form .collateral-symbol`)) element.textContent = silo?.collateral.symbol ?? '';
    }
  }

  private setupForms(): void {
    for (const form of document.querySelectorAll('form.tx-form')) {
      form.addEventListener('input', () => this.updatePreviews());
      form.addEventListener('change', () => this.updatePreviews());
    }
    byId('trade-suggest').addEventListener('click', () => {
      const market = this.market('trade-market');
      const limit = market && suggestedLimit(market, byId<HTMLSelectElement>('trade-side').value === 'long');
      if (limit) byId<HTMLInputElement>('trade-price').value = limit;
      this.updatePreviews();
    });
    byId('close-suggest').addEventListener('click', () => {
      const market = this.market('close-market');
      const position = this.snapshot?.account?.positions.find((p) => p.market === market?.id);
      const limit = market && position && suggestedLimit(market, position.size < 0n);
      if (limit) byId<HTMLInputElement>('close-price').value = limit;
      this.updatePreviews();
    });
    this.onSubmit('deposit-form', () => {
      const silo = this.silo('deposit-silo');
      const amount = parseDecimal(this.value('deposit-amount'), silo.collateral.decimals);
      return [`deposit ${formatAmount(amount, silo.collateral.decimals)} ${silo.collateral.symbol} into silo ${silo.id}`, calls(this.api).depositMargin(silo.id, silo.collateral.asset, amount)];
    });
    this.onSubmit('withdraw-form', () => {
      const silo = this.silo('withdraw-silo');
      const amount = parseDecimal(this.value('withdraw-amount'), silo.collateral.decimals);
      return [`withdraw ${formatAmount(amount, silo.collateral.decimals)} ${silo.collateral.symbol} from silo ${silo.id}`, calls(this.api).withdrawMargin(silo.id, amount)];
    });
    this.onSubmit('trade-form', () => {
      const market = this.required(this.market('trade-market'), 'choose a market');
      const collateral = collateralOf(this.snapshot!, market.silo);
      const side = byId<HTMLSelectElement>('trade-side').value as Side;
      const plan = planTrade(market, collateral, side, this.value('trade-size'), this.value('trade-margin'), this.value('trade-price'));
      const reduceOnly = byId<HTMLInputElement>('trade-reduce').checked;
      return [`${side} ${this.value('trade-size')} ${market.base} in ${market.symbol}`, calls(this.api).trade(market.id, plan.sizeDelta, plan.margin, plan.acceptablePrice, reduceOnly)];
    });
    this.onSubmit('close-form', () => {
      const market = this.required(this.market('close-market'), 'choose a market');
      const position = this.required(this.snapshot?.account?.positions.find((p) => p.market === market.id), `no open position in ${market.symbol}`);
      const plan = planClose(market, collateralOf(this.snapshot!, market.silo), position.size, this.value('close-price'));
      return [`close ${market.symbol}`, calls(this.api).closePosition(market.id, plan.acceptablePrice)];
    });
  }

  private silo(selectId: string) {
    const id = byId<HTMLSelectElement>(selectId).value;
    return this.required(this.snapshot?.silos.find((s) => String(s.id) === id), 'choose a silo');
  }

  private required<T>(value: T | undefined | null, why: string): T {
    if (value === undefined || value === null) throw new Error(why);
    return value;
  }

  /** Wires a form: `build` returns what it does and the call; the selected account signs it. */
  private onSubmit(formId: string, build: () => [string, SubmittableExtrinsic<'promise'>]): void {
    const form = byId<HTMLFormElement>(formId);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void (async () => {
        const account = this.selected;
        let what = formId;
        try {
          if (!account) throw new Error('choose an account first');
          const [description, tx] = build();
          what = description;
          const button = form.querySelector('button[type=submit]') as HTMLButtonElement | null;
          if (button) button.disabled = true;
          this.showStatus('pending', html`${what} (${account.name}): signing…`);
          try {
            const included = await signAndSend(this.api, tx, account, (status) => this.showStatus('pending', html`${what} (${account.name}): ${status}…`));
            this.showStatus('in-block', html`${what} (${account.name}): in block <code data-testid="tx-block">${included.blockHash}</code>`, included.blockHash);
          } finally {
            if (button) button.disabled = false;
          }
        } catch (error) {
          if (error instanceof ChainRefused) {
            this.showStatus('error', html`${what}: the chain refused it with <code data-testid="tx-error-name">${error.error.name}</code>: <span data-testid="tx-error-docs">${error.error.docs}</span>`, error.blockHash ?? undefined);
          } else {
            this.showStatus('error', html`${what}: <span data-testid="tx-error-message">${message(error)}</span>`);
          }
        }
      })();
    });
  }

  private showStatus(state: string, content: ReturnType<typeof html>, blockHash?: string): void {
    const element = byId('tx-status');
    element.dataset.state = state;
    if (blockHash) element.dataset.blockHash = blockHash;
    else delete element.dataset.blockHash;
    setHtml(element, content);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

void new Page().start().catch((error: unknown) => {
  const element = document.getElementById('connection');
  if (element) {
    element.dataset.state = 'error';
    element.textContent = message(error);
  }
  console.error(error);
});
