import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Alert, Button, Card, Input, Typography } from "antd";
import { useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";
import type { ConsultationView, ThreadMessage } from "../../backend";
import { useBackend } from "../../backend/context";
import { errorText } from "../../app/errors";
import { useI18n, type Language } from "../../i18n";
import "./thread.css";

/** The core refuses longer messages (`invalid_value`); it counts characters of the trimmed text. */
export const MAX_MESSAGE_CHARS = 2_000;
/** The count appears from here on: below it, it would only be noise. */
const COUNT_FROM = 1_800;
/** Within this many pixels of the bottom the reader is "following" the thread. */
const PINNED_SLACK_PX = 48;

/** Characters as the core counts them (Unicode scalar values, not UTF-16 units). */
function charCount(text: string): number {
  return [...text.trim()].length;
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** Today's messages show the time alone; older ones the date too. The full stamp is the title. */
function timeOf(lang: Language, iso: string, now: Date) {
  const at = new Date(iso);
  const full = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(at);
  const short = sameDay(at, now)
    ? new Intl.DateTimeFormat(lang, { timeStyle: "short" }).format(at)
    : new Intl.DateTimeFormat(lang, { dateStyle: "short", timeStyle: "short" }).format(at);
  return { full, short };
}

function MessageItem({ message, now }: { message: ThreadMessage; now: Date }) {
  const { t, lang } = useI18n();
  const { full, short } = timeOf(lang, message.sent_at, now);
  const from = t(`thread.from.${message.from}`);
  return (
    <li className={`thread-msg thread-msg-${message.from}`} data-testid="thread-message" data-from={message.from}>
      {/* The sender is text, not only a side or a colour, so a screen reader says who wrote it. */}
      <div className="thread-meta">
        <span className="thread-from">{from}</span>
        <span aria-hidden="true"> · </span>
        <time dateTime={message.sent_at} title={full}>
          {short}
        </time>
      </div>
      <div className="thread-body">{message.body}</div>
    </li>
  );
}

/**
 * The messages, oldest first, in a scrolling log that follows the newest one (R-SVC-1 text).
 * It follows while the reader is at the bottom, and always after their own message; scrolled
 * up to read back, a patient's new message does not pull them away (the live region still
 * announces it).
 */
function MessageLog({ messages }: { messages: ThreadMessage[] }) {
  const { t } = useI18n();
  const list = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  const last = messages.at(-1);
  const now = new Date();

  useLayoutEffect(() => {
    const el = list.current;
    if (!el || !last) return;
    if (pinned.current || last.from === "physician") {
      el.scrollTop = el.scrollHeight;
      pinned.current = true;
    }
  }, [last]);

  return (
    <div
      ref={list}
      className="thread-log"
      role="log"
      aria-live="polite"
      aria-label={t("thread.label")}
      // Scrollable, so reachable by keyboard (arrow keys scroll it).
      tabIndex={0}
      data-testid="thread-log"
      onScroll={(e) => {
        const el = e.currentTarget;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight <= PINNED_SLACK_PX;
      }}
    >
      {messages.length === 0 ? (
        <p className="thread-empty" data-testid="thread-empty">
          {t("thread.empty")}
        </p>
      ) : (
        <ol className="thread-list">
          {messages.map((m) => (
            <MessageItem key={m.id} message={m} now={now} />
          ))}
        </ol>
      )}
    </div>
  );
}

/** The physician's reply box: Ctrl+Enter or ⌘+Enter sends, Enter is a new line. */
function Composer({ consultationId }: { consultationId: string }) {
  const { t, num } = useI18n();
  const backend = useBackend();
  const client = useQueryClient();
  const [body, setBody] = useState("");
  const box = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  const send = useMutation({
    mutationFn: (text: string) => backend.call("message_send", { consultation_id: consultationId, body: text }),
    onSuccess: (view) => {
      client.setQueryData(["consultation_get", view.id], view);
      setBody("");
      box.current?.focus();
    },
  });
  const n = charCount(body);
  const over = n - MAX_MESSAGE_CHARS;
  const canSend = n > 0 && over <= 0 && !send.isPending;
  const submit = () => {
    if (canSend) send.mutate(body);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Not while an input method is composing: Enter there picks the candidate.
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };
  const showCount = n >= COUNT_FROM;
  return (
    <form
      className="thread-composer"
      data-testid="thread-composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor={`${id}-body`} className="thread-label">
        {t("thread.compose")}
      </label>
      <Input.TextArea
        id={`${id}-body`}
        ref={(r) => {
          box.current = r?.resizableTextArea?.textArea ?? null;
        }}
        value={body}
        onChange={(e) => {
          setBody(e.target.value);
          if (send.isError) send.reset();
        }}
        onKeyDown={onKeyDown}
        autoSize={{ minRows: 2, maxRows: 6 }}
        aria-keyshortcuts="Control+Enter Meta+Enter"
        aria-describedby={`${id}-hint${showCount ? ` ${id}-count` : ""}`}
        aria-invalid={over > 0 || undefined}
        data-testid="thread-input"
      />
      <div className="thread-actions">
        <Typography.Text type="secondary" id={`${id}-hint`} className="thread-hint">
          {t("thread.sendHint")}
        </Typography.Text>
        {showCount && (
          <span id={`${id}-count`} className={over > 0 ? "thread-count thread-count-over" : "thread-count"} data-testid="thread-count">
            {over > 0
              ? t("thread.tooLong", { max: num(MAX_MESSAGE_CHARS), over: num(over) })
              : t("thread.count", { n: num(n), max: num(MAX_MESSAGE_CHARS) })}
          </span>
        )}
        <Button type="primary" htmlType="submit" disabled={!canSend} loading={send.isPending} data-testid="thread-send">
          {t("thread.send")}
        </Button>
      </div>
      {send.isError && (
        <Alert type="error" showIcon role="alert" title={errorText(t, send.error)} style={{ marginTop: 8 }} data-testid="thread-error" />
      )}
    </form>
  );
}

/**
 * The consultation's message thread (issue 7 "the message thread", R-SVC-1 text): the log and,
 * for the treating physician of an open consultation, the reply box. Patients' messages come
 * in through sync; the consultation screen re-reads the view while it is open.
 */
export function ThreadPanel({ view }: { view: ConsultationView }) {
  const { t } = useI18n();
  const note = view.status !== "claimed"
    ? t("thread.readOnly.status", { status: t(`consultation.status.${view.status}`) })
    : !view.mine
      ? t("thread.readOnly.notMine")
      : null;
  return (
    <Card size="small" title={<h3 style={{ margin: 0, fontSize: 16 }}>{t("thread.heading")}</h3>} data-testid="thread-panel">
      <MessageLog messages={view.messages} />
      {note === null ? (
        <Composer consultationId={view.id} />
      ) : (
        <Typography.Paragraph type="secondary" className="thread-readonly" data-testid="thread-readonly">
          {note}
        </Typography.Paragraph>
      )}
    </Card>
  );
}
