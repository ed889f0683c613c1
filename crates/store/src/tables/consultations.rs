//! `consultations` and the intake queue (R-TRI-1..3, R-ROLE-1).

use meddesk_domain::{
    Channel, ConsultationId, ConsultationKind, ConsultationStatus, MaskedName, PatientId, Priority,
    Sensitive, TriageRoute,
};
use rusqlite::{OptionalExtension, Row, params};

use super::{not_found, unknown};
use crate::audit::Action;
use crate::error::{Result, StoreError};
use crate::{Reader, Writer};

pub const RECORD: &str = "consultation";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consultation {
    pub id: ConsultationId,
    pub patient_id: PatientId,
    /// The physician who took it; R-ROLE-1 scopes reads by this.
    pub physician_id: Option<String>,
    pub channel: Channel,
    pub status: ConsultationStatus,
    pub priority: Priority,
    pub route: TriageRoute,
    pub complaint: Sensitive<String>,
    /// Unix ms.
    pub arrived_at: i64,
    /// Unix ms: arrival + the 30-minute response limit (R-TRI-3).
    pub sla_deadline: i64,
}

/// One row of the intake queue: de-identified display fields only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub id: ConsultationId,
    pub patient_id: PatientId,
    pub masked_name: MaskedName,
    pub priority: Priority,
    pub channel: Channel,
    pub route: TriageRoute,
    pub complaint: Sensitive<String>,
    pub arrived_at: i64,
    pub sla_deadline: i64,
}

pub(crate) fn priority_rank(p: Priority) -> i64 {
    match p {
        Priority::Emergency => 0,
        Priority::Urgent => 1,
        Priority::Normal => 2,
    }
}

fn priority_from(rank: i64) -> rusqlite::Result<Priority> {
    match rank {
        0 => Ok(Priority::Emergency),
        1 => Ok(Priority::Urgent),
        2 => Ok(Priority::Normal),
        other => Err(unknown("priority", &other.to_string())),
    }
}

pub(crate) fn channel_str(c: Channel) -> &'static str {
    match c {
        Channel::Text => "text",
        Channel::Voice => "voice",
        Channel::Video => "video",
    }
}

fn channel_from(s: &str) -> rusqlite::Result<Channel> {
    match s {
        "text" => Ok(Channel::Text),
        "voice" => Ok(Channel::Voice),
        "video" => Ok(Channel::Video),
        other => Err(unknown("channel", other)),
    }
}

pub(crate) fn status_str(s: ConsultationStatus) -> &'static str {
    match s {
        ConsultationStatus::Waiting => "waiting",
        ConsultationStatus::Claimed => "claimed",
        ConsultationStatus::Completed => "completed",
        ConsultationStatus::Cancelled => "cancelled",
    }
}

fn status_from(s: &str) -> rusqlite::Result<ConsultationStatus> {
    match s {
        "waiting" => Ok(ConsultationStatus::Waiting),
        "claimed" => Ok(ConsultationStatus::Claimed),
        "completed" => Ok(ConsultationStatus::Completed),
        "cancelled" => Ok(ConsultationStatus::Cancelled),
        other => Err(unknown("status", other)),
    }
}

fn route_parts(r: &TriageRoute) -> (&'static str, Option<&str>) {
    match r {
        TriageRoute::Emergency => ("emergency", None),
        TriageRoute::Specialist { specialty } => ("specialist", Some(specialty.as_str())),
        TriageRoute::General => ("general", None),
    }
}

fn route_from(kind: &str, specialty: Option<String>) -> rusqlite::Result<TriageRoute> {
    match (kind, specialty) {
        ("emergency", _) => Ok(TriageRoute::Emergency),
        ("general", _) => Ok(TriageRoute::General),
        ("specialist", Some(specialty)) => Ok(TriageRoute::Specialist { specialty }),
        (other, _) => Err(unknown("route_kind", other)),
    }
}

pub fn insert(w: &mut Writer<'_>, c: &Consultation) -> Result<()> {
    let (route_kind, specialty) = route_parts(&c.route);
    let id = c.id.0.to_string();
    w.conn()
        .prepare_cached(
            "INSERT INTO consultations(id, patient_id, physician_id, channel, status, priority,
             route_kind, route_specialty, complaint, arrived_at, sla_deadline, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            id,
            c.patient_id.0,
            c.physician_id,
            channel_str(c.channel),
            status_str(c.status),
            priority_rank(c.priority),
            route_kind,
            specialty,
            c.complaint.expose(),
            c.arrived_at,
            c.sla_deadline,
            w.now_ms()
        ])?;
    w.audit(Action::Create, RECORD, &id)
}

/// Claim or close a consultation.
pub fn set_status(
    w: &mut Writer<'_>,
    id: &ConsultationId,
    status: ConsultationStatus,
    physician_id: Option<&str>,
) -> Result<()> {
    let key = id.0.to_string();
    let n = w
        .conn()
        .prepare_cached(
            "UPDATE consultations SET status = ?2, physician_id = coalesce(?3, physician_id),
             updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![key, status_str(status), physician_id, w.now_ms()])?;
    if n == 0 {
        return Err(not_found(RECORD, &key));
    }
    w.audit(Action::Update, RECORD, &key)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Consultation> {
    let id: String = row.get(0)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| unknown("id", "<not a uuid>"))?;
    Ok(Consultation {
        id: ConsultationId(id),
        patient_id: PatientId(row.get(1)?),
        physician_id: row.get(2)?,
        channel: channel_from(&row.get::<_, String>(3)?)?,
        status: status_from(&row.get::<_, String>(4)?)?,
        priority: priority_from(row.get(5)?)?,
        route: route_from(&row.get::<_, String>(6)?, row.get(7)?)?,
        complaint: Sensitive::new(row.get(8)?),
        arrived_at: row.get(9)?,
        sla_deadline: row.get(10)?,
    })
}

const COLUMNS: &str = "id, patient_id, physician_id, channel, status, priority, route_kind, \
                       route_specialty, complaint, arrived_at, sla_deadline";

pub fn get(r: &mut Reader<'_>, id: &ConsultationId) -> Result<Consultation> {
    let key = id.0.to_string();
    let c = r
        .conn()
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM consultations WHERE id = ?1"
        ))?
        .query_row([&key], from_row)
        .optional()?
        .ok_or_else(|| not_found(RECORD, &key))?;
    r.touched(RECORD, &key);
    Ok(c)
}

/// The consultations of one physician (R-ROLE-1: only their own encounters).
pub fn of_physician(r: &mut Reader<'_>, physician_id: &str) -> Result<Vec<Consultation>> {
    let rows: Vec<Consultation> = r
        .conn()
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM consultations WHERE physician_id = ?1 ORDER BY arrived_at DESC"
        ))?
        .query_map([physician_id], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    for c in &rows {
        r.touched(RECORD, &c.id.0.to_string());
    }
    Ok(rows)
}

/// The intake queue: waiting consultations, most urgent first, then the nearest response
/// deadline (R-TRI-2, R-TRI-3). Served from the partial index `consultations_intake_queue`.
/// Audited as one `intake_queue` read (display fields are de-identified).
pub fn intake_queue(r: &mut Reader<'_>, limit: u32) -> Result<Vec<QueueEntry>> {
    let rows: Vec<QueueEntry> = r
        .conn()
        .prepare_cached(INTAKE_QUEUE_SQL)?
        .query_map([limit], |row| {
            let id: String = row.get(0)?;
            let id = uuid::Uuid::parse_str(&id).map_err(|_| unknown("id", "<not a uuid>"))?;
            let masked: String = row.get(2)?;
            Ok(QueueEntry {
                id: ConsultationId(id),
                patient_id: PatientId(row.get(1)?),
                masked_name: MaskedName::from_full_name(&masked),
                priority: priority_from(row.get(3)?)?,
                channel: channel_from(&row.get::<_, String>(4)?)?,
                route: route_from(&row.get::<_, String>(5)?, row.get(6)?)?,
                sla_deadline: row.get(7)?,
                complaint: Sensitive::new(row.get(8)?),
                arrived_at: row.get(9)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    r.touched("intake_queue", &format!("{} consultations", rows.len()));
    Ok(rows)
}

pub const INTAKE_QUEUE_SQL: &str = "
    SELECT c.id, c.patient_id, p.masked_name, c.priority, c.channel, c.route_kind,
           c.route_specialty, c.sla_deadline, c.complaint, c.arrived_at
    FROM consultations c JOIN patients p ON p.id = c.patient_id
    WHERE c.status = 'waiting'
    ORDER BY c.priority, c.sla_deadline
    LIMIT ?1";

pub fn count(r: &Reader<'_>) -> Result<i64> {
    Ok(r.conn()
        .prepare_cached("SELECT count(*) FROM consultations")?
        .query_row([], |row| row.get(0))?)
}

/// Fails with `not_found` unless the consultation exists (used before attaching children).
pub fn ensure_exists(w: &Writer<'_>, id: &ConsultationId) -> Result<()> {
    let key = id.0.to_string();
    let found: Option<i64> = w
        .conn()
        .prepare_cached("SELECT 1 FROM consultations WHERE id = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    found.map(|_| ()).ok_or(StoreError::NotFound {
        record_type: RECORD,
        id: key,
    })
}

// Row decoders shared with the workflow views over the same columns.
pub(crate) fn priority_from_rank(rank: i64) -> rusqlite::Result<Priority> {
    priority_from(rank)
}

pub(crate) fn channel_from_str(s: &str) -> rusqlite::Result<Channel> {
    channel_from(s)
}

pub(crate) fn route_from_parts(
    kind: &str,
    specialty: Option<String>,
) -> rusqlite::Result<TriageRoute> {
    route_from(kind, specialty)
}

/// The local status and physician of a consultation; `None` when it is not here.
pub fn status_of(
    conn: &rusqlite::Connection,
    id: &ConsultationId,
) -> Result<Option<(ConsultationStatus, Option<String>)>> {
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached("SELECT status, physician_id FROM consultations WHERE id = ?1")?
        .query_row([id.0.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    match row {
        None => Ok(None),
        Some((status, physician)) => Ok(Some((status_from(&status)?, physician))),
    }
}

/// The platform gave the consultation to `physician_id` (or to someone this user may not
/// see: `None`): it leaves the local queue. The local record, if any, stays as it was.
pub fn taken_on_platform(
    w: &mut Writer<'_>,
    id: &ConsultationId,
    physician_id: Option<&str>,
) -> Result<()> {
    let key = id.0.to_string();
    w.conn()
        .prepare_cached(
            "UPDATE consultations SET status = 'claimed', physician_id = ?2, updated_at = ?3
         WHERE id = ?1",
        )?
        .execute(params![key, physician_id, w.now_ms()])?;
    w.audit(Action::Update, RECORD, &key)
}

/// The consultation type the treating physician set, with the reason given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsultationType {
    pub kind: ConsultationKind,
    pub reason: String,
}

/// Set the consultation type (the treating physician's call, R-RX-4), or clear it (`None`:
/// the intake's default applies again): an audited update.
pub fn set_type(
    w: &mut Writer<'_>,
    id: &ConsultationId,
    t: Option<&ConsultationType>,
) -> Result<()> {
    let key = id.0.to_string();
    let n = w
        .conn()
        .prepare_cached(
            "UPDATE consultations SET consultation_type = ?2, consultation_type_reason = ?3,
             updated_at = ?4 WHERE id = ?1",
        )?
        .execute(params![
            key,
            t.map(|t| t.kind.as_str()),
            t.map(|t| t.reason.as_str()),
            w.now_ms()
        ])?;
    if n == 0 {
        return Err(not_found(RECORD, &key));
    }
    w.audit(Action::Update, RECORD, &key)
}

/// The consultation type the physician set; `None` while the intake's default applies.
pub fn type_of(r: &mut Reader<'_>, id: &ConsultationId) -> Result<Option<ConsultationType>> {
    let key = id.0.to_string();
    let t = type_in(r.conn(), id)?.ok_or_else(|| not_found(RECORD, &key))?;
    r.touched(RECORD, &key);
    Ok(t)
}

/// [`type_of`] for the sync applier: `None` when the consultation is not here.
pub fn type_in(
    conn: &rusqlite::Connection,
    id: &ConsultationId,
) -> Result<Option<Option<ConsultationType>>> {
    let row: Option<(Option<String>, Option<String>)> = conn
        .prepare_cached(
            "SELECT consultation_type, consultation_type_reason FROM consultations WHERE id = ?1",
        )?
        .query_row([id.0.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((kind, reason)) = row else {
        return Ok(None);
    };
    let Some(k) = kind else {
        return Ok(Some(None));
    };
    let kind = ConsultationKind::parse(&k).ok_or_else(|| unknown("consultation_type", &k))?;
    Ok(Some(Some(ConsultationType {
        kind,
        reason: reason.unwrap_or_default(),
    })))
}
