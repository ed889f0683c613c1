//! `messages`: the text of a consultation (R-SVC-1 later; R-REC-3 keeps chat ≥ 3 years).

use meddesk_domain::{ConsultationId, Sensitive};
use rusqlite::params;

use crate::audit::Action;
use crate::error::Result;
use crate::{Reader, Writer};

pub const RECORD: &str = "message";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    pub consultation_id: ConsultationId,
    /// "patient", "physician" or "system".
    pub sender: String,
    pub body: Sensitive<String>,
    pub sent_at: i64,
}

pub fn insert(w: &mut Writer<'_>, m: &Message) -> Result<()> {
    w.conn().prepare_cached("INSERT INTO messages(id, consultation_id, sender, body, sent_at) VALUES (?1, ?2, ?3, ?4, ?5)")?
        .execute(
        params![m.id, m.consultation_id.0.to_string(), m.sender, m.body.expose(), m.sent_at],
    )?;
    w.audit(Action::Create, RECORD, &m.id)
}

/// A message the platform delivered (the patient's, or the physician's from another
/// device): stored once, whatever how often it arrives. Returns whether it was new.
pub fn insert_delivered(w: &mut Writer<'_>, m: &Message) -> Result<bool> {
    let n = w
        .conn()
        .prepare_cached(
            "INSERT INTO messages(id, consultation_id, sender, body, sent_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO NOTHING",
        )?
        .execute(params![
            m.id,
            m.consultation_id.0.to_string(),
            m.sender,
            m.body.expose(),
            m.sent_at
        ])?;
    if n == 1 {
        w.audit(Action::Create, RECORD, &m.id)?;
    }
    Ok(n == 1)
}

pub fn of_consultation(
    r: &mut Reader<'_>,
    consultation_id: &ConsultationId,
) -> Result<Vec<Message>> {
    let key = consultation_id.0.to_string();
    let rows: Vec<Message> = r
        .conn()
        .prepare_cached(
            "SELECT id, sender, body, sent_at FROM messages WHERE consultation_id = ?1
             ORDER BY sent_at, id",
        )?
        .query_map([&key], |row| {
            Ok(Message {
                id: row.get(0)?,
                consultation_id: *consultation_id,
                sender: row.get(1)?,
                body: Sensitive::new(row.get(2)?),
                sent_at: row.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    r.touched(super::consultations::RECORD, &key);
    Ok(rows)
}
