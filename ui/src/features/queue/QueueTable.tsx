import { createContext, memo, useCallback, useContext, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import type { Flag, Priority, QueueEntry } from "../../backend";
import { useI18n } from "../../i18n";
import { clock, secondsLeft } from "./countdown";
import { routeLabel } from "./labels";
import { useNow } from "./useNow";
import "./queue.css";

/*
 * The intake queue as a purpose-built virtual table (issue 7: 1,000 open requests scroll
 * without dropped frames). Every row has the same height, so what is on screen follows from
 * scrollTop alone — nothing is measured while scrolling. Only the visible rows plus a small
 * overscan are in the DOM, in one container moved by a transform; rows are memoised plain
 * elements (badges are CSS classes, no antd components), so a scroll step mounts just the
 * few rows that come into view. The scroller has `contain: strict`: its layout and paint stay
 * inside it.
 */

/** Row height in px: two lines of badges fit (flags and an overdue clock may wrap). */
export const ROW_HEIGHT = 48;
const HEADER_HEIGHT = 40;
/** The scroller's height when the queue is longer than that. */
const VIEW_HEIGHT = 560;
/** Rows kept in the DOM above and below the visible ones. */
const OVERSCAN = 6;
/** The window moves in steps of this many rows, so most scroll events render nothing. */
const STEP = 4;

const COLUMNS = [
  { key: "priority", label: "queue.priority", width: 90 },
  { key: "patient", label: "queue.patient", width: 150 },
  { key: "channel", label: "queue.channel", width: 70 },
  { key: "route", label: "queue.route", width: 170 },
  { key: "complaint", label: "queue.complaint", width: 260 },
  { key: "flags", label: "queue.flags", width: 200 },
  { key: "time", label: "queue.timeLeft", width: 150 },
  { key: "take", label: "queue.actions", width: 110 },
] as const;
const TABLE_WIDTH = COLUMNS.reduce((w, c) => w + c.width, 0);
const width = (i: number) => ({ width: COLUMNS[i]!.width });

const PRIORITY_CLASS: Record<Priority, string> = { emergency: "qtag-red", urgent: "qtag-orange", normal: "qtag-blue" };

/**
 * The ticking clock, read only by the cells that show it: the second-by-second tick then
 * re-renders the few visible countdowns, never the rows.
 */
const NowContext = createContext<number>(0);

function Ticking({ children }: { children: ReactNode }) {
  const now = useNow();
  return <NowContext.Provider value={now}>{children}</NowContext.Provider>;
}

function TimeLeft({ respondBy }: { respondBy: string }) {
  const { t } = useI18n();
  const left = secondsLeft(respondBy, useContext(NowContext));
  return left < 0 ? (
    // The marker lets the row show the breach (queue.css), without the row re-rendering.
    <span className="queue-breached-mark">
      <span className="qtag qtag-red" data-testid="breached">
        {t("queue.breached", { time: clock(left) })}
      </span>
      <span className="qtag qtag-magenta">{t("queue.escalated")}</span>
    </span>
  ) : (
    <span className="queue-clock" data-testid="countdown">
      {clock(left)}
    </span>
  );
}

/** Screening flags as plain badges; the rule's message is the accessible name and the tooltip. */
function QueueFlags({ flags }: { flags: Flag[] }) {
  const { t, msg } = useI18n();
  return flags.map((f) => {
    const text = `${t(`flag.${f.code}`)}: ${msg(f.message)}`;
    return (
      <span key={f.code + f.rule} className="qtag qtag-volcano" tabIndex={0} title={msg(f.message)} aria-label={text} data-testid={`flag-${f.code}`}>
        {t(`flag.${f.code}`)}
      </span>
    );
  });
}

interface RowProps {
  entry: QueueEntry;
  index: number;
  pending: boolean;
  tabbable: boolean;
  onTake: (id: string) => void;
}

/**
 * The same row as far as the screen goes. Every 3 s poll brings new entry objects (the core's
 * `seconds_left` changes each second, and the countdown reads `respond_by` instead); the query
 * cache keeps unchanged nested objects (patient, route, flags) identical, so a poll re-renders
 * only rows whose shown content changed.
 */
function sameRow(a: RowProps, b: RowProps): boolean {
  const x = a.entry;
  const y = b.entry;
  const sameEntry =
    x === y ||
    (x.id === y.id &&
      x.priority === y.priority &&
      x.patient === y.patient &&
      x.channel === y.channel &&
      x.route === y.route &&
      x.complaint === y.complaint &&
      x.flags === y.flags &&
      x.held === y.held &&
      x.claimable === y.claimable &&
      x.respond_by === y.respond_by);
  return sameEntry && a.index === b.index && a.pending === b.pending && a.tabbable === b.tabbable && a.onTake === b.onTake;
}

const Row = memo(function Row({ entry: e, index, pending, tabbable, onTake }: RowProps) {
  const { t } = useI18n();
  const onKeyDown = (ev: KeyboardEvent<HTMLDivElement>) => {
    // Enter on the row itself takes it, as its button does (the button handles its own Enter).
    if (ev.key === "Enter" && ev.target === ev.currentTarget && e.claimable && !pending) onTake(e.id);
  };
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      className={e.held ? "queue-row queue-row-held" : "queue-row"}
      data-row-key={e.id}
      data-index={index}
      tabIndex={tabbable ? 0 : -1}
      onKeyDown={onKeyDown}
    >
      <div role="cell" className="queue-cell" style={width(0)}>
        <span className={`qtag ${PRIORITY_CLASS[e.priority]}`}>{t(`priority.${e.priority}`)}</span>
      </div>
      <div role="cell" className="queue-cell" style={width(1)}>
        <span>
          {e.patient.masked_name}
          <span className="queue-secondary">
            {t(`sex.${e.patient.sex ?? "unknown"}`)}
            {e.patient.age_years !== null && ` · ${t("queue.age", { age: e.patient.age_years })}`}
          </span>
        </span>
      </div>
      <div role="cell" className="queue-cell" style={width(2)}>
        {t(`channel.${e.channel}`)}
      </div>
      <div role="cell" className="queue-cell" style={width(3)}>
        <span className="qtag">{routeLabel(t, e.route)}</span>
      </div>
      <div role="cell" className="queue-cell queue-ellipsis" style={width(4)} title={e.complaint}>
        {e.complaint}
      </div>
      <div role="cell" className="queue-cell" style={width(5)}>
        {e.held && <span className="qtag qtag-purple">{t("queue.held")}</span>}
        {/* R-RX-8: no prescription for a patient the platform has not verified; said before the claim. */}
        {!e.patient.identity_verified && (
          <span className="qtag qtag-orange" data-testid="identity-unverified">
            {t("consultation.unverified")}
          </span>
        )}
        <QueueFlags flags={e.flags} />
      </div>
      <div role="cell" className="queue-cell" style={width(6)}>
        <TimeLeft respondBy={e.respond_by} />
      </div>
      <div role="cell" className="queue-cell" style={width(7)}>
        {e.claimable ? (
          <button type="button" className="queue-take" disabled={pending} aria-busy={pending || undefined} onClick={() => onTake(e.id)}>
            {t("queue.take")}
          </button>
        ) : (
          <span className="queue-secondary">{e.held ? t("queue.held") : t("queue.notClaimable")}</span>
        )}
      </div>
    </div>
  );
}, sameRow);

const blockOf = (scrollTop: number) => Math.floor(Math.max(0, scrollTop) / ROW_HEIGHT / STEP) * STEP;

export function QueueTable({ entries, pendingId, onTake }: { entries: QueueEntry[]; pendingId: string | null; onTake: (id: string) => void }) {
  const { t } = useI18n();
  const scroller = useRef<HTMLDivElement>(null);
  // The first visible row, rounded down to a STEP: the only scroll state that renders.
  const [block, setBlock] = useState(0);
  // The one row in the tab order (roving tabindex); arrows move it.
  const [active, setActive] = useState(0);
  const focusNext = useRef<number | null>(null);

  const n = entries.length;
  const height = Math.min(VIEW_HEIGHT, HEADER_HEIGHT + Math.max(n, 1) * ROW_HEIGHT);
  const bodyView = height - HEADER_HEIGHT;
  const visible = Math.ceil(bodyView / ROW_HEIGHT) + 1;
  const from = Math.max(0, block - OVERSCAN);
  const to = Math.min(n, block + STEP + visible + OVERSCAN);
  const activeRow = Math.min(active, Math.max(0, n - 1));

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (el) setBlock(blockOf(el.scrollTop));
  }, []);

  // Focus the row the arrows moved to once it is rendered (it may just have scrolled in).
  useLayoutEffect(() => {
    const i = focusNext.current;
    if (i === null) return;
    const row = scroller.current?.querySelector<HTMLElement>(`[data-index="${i}"]`);
    if (row) {
      focusNext.current = null;
      row.focus({ preventScroll: true });
    }
  });

  const onKeyDown = (ev: KeyboardEvent<HTMLDivElement>) => {
    const row = (ev.target as HTMLElement).closest<HTMLElement>("[data-index]");
    if (!row || row !== ev.target) return;
    const i = Number(row.dataset.index);
    const next =
      ev.key === "ArrowDown" ? i + 1 : ev.key === "ArrowUp" ? i - 1 : ev.key === "Home" ? 0 : ev.key === "End" ? n - 1 : ev.key === "PageDown" ? i + visible - 1 : ev.key === "PageUp" ? i - visible + 1 : null;
    if (next === null) return;
    ev.preventDefault();
    const target = Math.max(0, Math.min(n - 1, next));
    const el = scroller.current;
    if (el) {
      const top = target * ROW_HEIGHT;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + ROW_HEIGHT > el.scrollTop + bodyView) el.scrollTop = top + ROW_HEIGHT - bodyView;
      setBlock(blockOf(el.scrollTop));
    }
    setActive(target);
    focusNext.current = target;
  };

  if (n === 0) return <p className="queue-empty">{t("queue.empty")}</p>;
  const rows: ReactNode[] = [];
  for (let i = from; i < to; i++) {
    const e = entries[i]!;
    rows.push(<Row key={e.id} entry={e} index={i} pending={pendingId === e.id} tabbable={i === activeRow} onTake={onTake} />);
  }
  return (
    <Ticking>
      <div
        ref={scroller}
        role="table"
        aria-label={t("queue.heading")}
        aria-rowcount={n + 1}
        className="queue-table"
        style={{ height }}
        onScroll={onScroll}
        onKeyDown={onKeyDown}
        data-testid="queue-scroller"
      >
        <div role="rowgroup" className="queue-head" style={{ width: TABLE_WIDTH }}>
          <div role="row" aria-rowindex={1} className="queue-head-row">
            {COLUMNS.map((c, i) => (
              <div key={c.key} role="columnheader" className="queue-cell" style={width(i)}>
                {t(c.label)}
              </div>
            ))}
          </div>
        </div>
        <div role="rowgroup" className="queue-body" style={{ height: n * ROW_HEIGHT, width: TABLE_WIDTH }}>
          <div className="queue-window" style={{ transform: `translateY(${from * ROW_HEIGHT}px)` }}>
            {rows}
          </div>
        </div>
      </div>
    </Ticking>
  );
}
