//! `patients`: de-identified display fields (R-REC-1) and the identifiers sealed with the
//! field key (R-REC-2): the full name and ID number are never stored readable, even inside the
//! encrypted database.

use meddesk_domain::{MaskedName, PatientId, Sensitive, Sex};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{not_found, unknown};
use crate::audit::Action;
use crate::error::Result;
use crate::{Reader, Writer};

pub const RECORD: &str = "patient";

/// What identifies a person. Sealed in the `identifiers` column; only `expose` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifiers {
    pub full_name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    pub id: PatientId,
    pub masked_name: MaskedName,
    pub age_years: Option<u8>,
    pub sex: Option<Sex>,
    pub identity_verified: bool,
    /// Synthetic demo patient.
    pub demo: bool,
}

fn sex_str(s: Sex) -> &'static str {
    match s {
        Sex::Female => "female",
        Sex::Male => "male",
    }
}

fn sex_from(s: &str) -> rusqlite::Result<Sex> {
    match s {
        "female" => Ok(Sex::Female),
        "male" => Ok(Sex::Male),
        other => Err(unknown("sex", other)),
    }
}

/// Insert or update a patient; `identifiers`, when given, replace the sealed blob.
pub fn upsert(
    w: &mut Writer<'_>,
    p: &Patient,
    identifiers: Option<&Sensitive<Identifiers>>,
) -> Result<()> {
    let sealed = match identifiers {
        Some(ids) => {
            let json =
                zeroize::Zeroizing::new(serde_json::to_vec(ids.expose()).map_err(|e| {
                    crate::StoreError::Database(format!("identifier encoding: {e}"))
                })?);
            Some(w.seal(&format!("patient:{}", p.id.0), &json)?)
        }
        None => None,
    };
    let now = w.now_ms();
    let existed = w.conn().prepare_cached("UPDATE patients SET masked_name = ?2, age_years = ?3, sex = ?4, identity_verified = ?5,
             identifiers = coalesce(?6, identifiers), demo = ?7, updated_at = ?8 WHERE id = ?1")?
        .execute(
        params![
            p.id.0,
            p.masked_name.as_str(),
            p.age_years,
            p.sex.map(sex_str),
            p.identity_verified,
            sealed,
            p.demo,
            now
        ],
    )? == 1;
    if !existed {
        w.conn().prepare_cached("INSERT INTO patients(id, masked_name, age_years, sex, identity_verified, identifiers,
                 demo, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)")?
        .execute(
            params![
                p.id.0,
                p.masked_name.as_str(),
                p.age_years,
                p.sex.map(sex_str),
                p.identity_verified,
                sealed,
                p.demo,
                now
            ],
        )?;
    }
    let action = if existed {
        Action::Update
    } else {
        Action::Create
    };
    w.audit(action, RECORD, &p.id.0)
}

pub fn get(r: &mut Reader<'_>, id: &PatientId) -> Result<Patient> {
    let p = r
        .conn()
        .prepare_cached("SELECT masked_name, age_years, sex, identity_verified, demo FROM patients WHERE id = ?1")?
        .query_row(
            [&id.0],
            |row| {
                let masked: String = row.get(0)?;
                let sex: Option<String> = row.get(2)?;
                Ok(Patient {
                    id: id.clone(),
                    // Stored already masked; masking again is idempotent on the first char.
                    masked_name: MaskedName::from_full_name(&masked),
                    age_years: row.get(1)?,
                    sex: sex.as_deref().map(sex_from).transpose()?,
                    identity_verified: row.get(3)?,
                    demo: row.get(4)?,
                })
            },
        )
        .optional()?
        .ok_or_else(|| not_found(RECORD, &id.0))?;
    r.touched(RECORD, &id.0);
    Ok(p)
}

/// The unsealed identifiers (audited as a read like any other access).
pub fn identifiers(r: &mut Reader<'_>, id: &PatientId) -> Result<Option<Sensitive<Identifiers>>> {
    let sealed: Option<Vec<u8>> = r
        .conn()
        .prepare_cached("SELECT identifiers FROM patients WHERE id = ?1")?
        .query_row([&id.0], |row| row.get(0))
        .optional()?
        .ok_or_else(|| not_found(RECORD, &id.0))?;
    r.touched(RECORD, &id.0);
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    let plain = r.open_sealed(&format!("patient:{}", id.0), &sealed)?;
    let ids: Identifiers = serde_json::from_slice(&plain).map_err(|_| {
        crate::StoreError::CorruptDatabase("sealed identifiers are not valid JSON".into())
    })?;
    Ok(Some(Sensitive::new(ids)))
}

pub fn count(r: &Reader<'_>) -> Result<i64> {
    Ok(r.conn()
        .prepare_cached("SELECT count(*) FROM patients")?
        .query_row([], |row| row.get(0))?)
}
