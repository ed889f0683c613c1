//! The patient simulator (`meddesk platform simulate`): realistic zh-CN consultation
//! requests — complaints with vitals, chronic follow-ups for hypertension (I10) and type 2
//! diabetes (E11), children with guardians (R-TRI-7), some emergencies (R-TRI-2) — filed
//! through the platform API as an intake account's operations, so the demo queue fills by
//! itself. All patients are synthetic.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use meddesk_domain::{Channel, Priority, Sex};
use meddesk_sync::{
    ClientConfig, HlcClock, MemoryReplica, MemoryTokenStore, NewConsultation, OpKind, Operation,
    PatientSummary, SyncClient, SyncError, Vitals,
};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];

struct Template {
    specialty: &'static str,
    complaints: &'static [&'static str],
    chronic: Option<&'static str>,
    ages: (u32, u32),
    emergency: bool,
}

const TEMPLATES: &[(u32, Template)] = &[
    (
        30,
        Template {
            specialty: "general_practice",
            complaints: &[
                "咳嗽三天，有白色痰，无发热",
                "咽痛两天，吞咽时加重",
                "发热一天，体温最高38.6℃，伴全身酸痛",
                "腹泻两天，每日四五次，无便血",
                "失眠半个月，入睡困难",
                "头痛反复一周，午后明显",
            ],
            chronic: None,
            ages: (18, 70),
            emergency: false,
        },
    ),
    (
        20,
        Template {
            specialty: "cardiology",
            complaints: &[
                "高血压复诊，近一周家测血压150/95mmHg左右，要求调整用药",
                "高血压病史五年，服用氨氯地平，近日头晕，复诊开药",
                "高血压随访，血压控制尚可，续方",
            ],
            chronic: Some("I10"),
            ages: (45, 85),
            emergency: false,
        },
    ),
    (
        18,
        Template {
            specialty: "endocrinology",
            complaints: &[
                "2型糖尿病复诊，空腹血糖8.2mmol/L，二甲双胍续方",
                "糖尿病随访，近期口干多饮，餐后血糖偏高",
                "糖尿病病史三年，要求复查后调整胰岛素剂量",
            ],
            chronic: Some("E11"),
            ages: (40, 80),
            emergency: false,
        },
    ),
    (
        14,
        Template {
            specialty: "pediatrics",
            complaints: &[
                "孩子发热一天，体温38.9℃，精神尚可",
                "孩子咳嗽四天，夜间明显",
                "宝宝腹泻两天，轻度脱水表现",
                "孩子皮疹一天，伴瘙痒",
            ],
            chronic: None,
            ages: (1, 12),
            emergency: false,
        },
    ),
    (
        10,
        Template {
            specialty: "dermatology",
            complaints: &["面部红斑瘙痒一周", "手部湿疹反复发作", "背部痤疮加重一个月"],
            chronic: None,
            ages: (16, 60),
            emergency: false,
        },
    ),
    (
        8,
        Template {
            specialty: "emergency",
            complaints: &[
                "胸痛半小时，伴出汗",
                "呼吸困难，活动后加重，口唇发紫",
                "高热39.8℃伴寒战，意识稍差",
            ],
            chronic: None,
            ages: (20, 85),
            emergency: true,
        },
    ),
];

/// Every specialty the simulator files requests for.
pub const SPECIALTIES: &[&str] = &[
    "general_practice",
    "cardiology",
    "endocrinology",
    "pediatrics",
    "dermatology",
    "emergency",
];

/// One synthetic consultation request.
pub fn consultation_request(rng: &mut impl Rng, org_id: &str, now_ms: i64) -> NewConsultation {
    let total: u32 = TEMPLATES.iter().map(|(w, _)| w).sum();
    let mut pick = rng.random_range(0..total);
    let mut template = &TEMPLATES[0].1;
    for (w, t) in TEMPLATES {
        if pick < *w {
            template = t;
            break;
        }
        pick -= w;
    }
    let age = rng.random_range(template.ages.0..=template.ages.1);
    let sex = if rng.random_bool(0.5) {
        Sex::Female
    } else {
        Sex::Male
    };
    let surname = SURNAMES.choose(rng).copied().unwrap_or("王");
    let complaint = template
        .complaints
        .choose(rng)
        .copied()
        .unwrap_or("咳嗽三天")
        .to_owned();
    let mut vitals = Vitals {
        temperature_c: Some(36.3 + f32::from(rng.random_range(0u8..8)) / 10.0),
        heart_rate_bpm: Some(rng.random_range(62..96)),
        ..Vitals::default()
    };
    // The measured temperature agrees with what the patient wrote: the one the complaint
    // names, a fever when it mentions one (not "无发热"), else normal.
    let said = meddesk_clinical::triage::text::normalise(&complaint);
    if let Some(t) = meddesk_clinical::triage::text::temperature_c(&said) {
        vitals.temperature_c = Some(t as f32);
    } else if ["发热", "高热"]
        .iter()
        .any(|k| meddesk_clinical::triage::text::mentions(&said, k))
    {
        vitals.temperature_c = Some(38.0 + f32::from(rng.random_range(0u8..20)) / 10.0);
    }
    match template.chronic {
        Some("I10") => {
            vitals.systolic_mmhg = Some(rng.random_range(128..172));
            vitals.diastolic_mmhg = Some(rng.random_range(78..104));
        }
        Some("E11") => {
            vitals.glucose_mmol_l = Some(6.0 + f32::from(rng.random_range(0u8..60)) / 10.0)
        }
        _ => {}
    }
    // R-TRI-2: emergencies first; a fever ≥ 38.5 °C is urgent.
    let priority = if template.emergency {
        Priority::Emergency
    } else if vitals.temperature_c.is_some_and(|t| t >= 38.5) {
        Priority::Urgent
    } else {
        Priority::Normal
    };
    let guardian = (age < 14).then(|| {
        let relation = ["母亲", "父亲", "祖母"]
            .choose(rng)
            .copied()
            .unwrap_or("母亲");
        format!("{relation} {surname}**")
    });
    let channel = match rng.random_range(0..10) {
        0..=6 => Channel::Text,
        7 | 8 => Channel::Voice,
        _ => Channel::Video,
    };
    NewConsultation {
        id: Uuid::now_v7(),
        org_id: org_id.to_owned(),
        patient: PatientSummary {
            patient_id: format!("sim-{}", Uuid::new_v4().simple()),
            masked_name: format!("{surname}**"),
            age_years: age,
            sex,
            identity_verified: rng.random_bool(0.9),
            guardian,
        },
        channel,
        priority,
        specialty: template.specialty.to_owned(),
        complaint,
        vitals,
        chronic_icd10: template.chronic.map(str::to_owned),
        arrived_at_ms: now_ms,
    }
}

#[derive(Debug, Clone)]
pub struct SimulateConfig {
    pub server: String,
    pub username: String,
    pub password: String,
    pub device_id: String,
    pub rate_per_min: f64,
    pub count: Option<u64>,
    pub seed: Option<u64>,
}

fn now_ms() -> i64 {
    crate::http::now_ms()
}

/// File requests until `count` were acknowledged (forever without a count). Each request is
/// an operation in a local outbox, so a platform that is down loses nothing: the
/// simulator retries with backoff.
pub async fn run(
    cfg: SimulateConfig,
    mut on_filed: impl FnMut(&NewConsultation),
) -> Result<u64, SyncError> {
    let replica = Arc::new(Mutex::new(MemoryReplica::new()));
    let tokens = Arc::new(MemoryTokenStore::new());
    let mut client = SyncClient::new(
        ClientConfig::new(&cfg.server, &cfg.device_id),
        replica.clone(),
        tokens,
    )?;
    let account = client.sign_in(&cfg.username, &cfg.password, None).await?;
    client.register_device("patient simulator").await?;
    let mut rng = match cfg.seed {
        Some(s) => StdRng::seed_from_u64(s),
        None => StdRng::from_os_rng(),
    };
    let mut clock = HlcClock::new();
    let interval = Duration::from_secs_f64(60.0 / cfg.rate_per_min.max(0.001));
    let mut filed = 0u64;
    while cfg.count.is_none_or(|c| filed < c) {
        let request = consultation_request(&mut rng, &account.org_id, now_ms());
        let op = Operation {
            op_id: Uuid::now_v7(),
            user: account.user_id.clone(),
            device: cfg.device_id.clone(),
            base_version: 0,
            hlc: clock.tick(now_ms()),
            kind: OpKind::CreateConsultation {
                request: request.clone(),
            },
        };
        replica
            .lock()
            .map_err(|_| SyncError::InvalidConfig("replica lock poisoned".into()))?
            .commit(op);
        client.sync_until_done(50).await?;
        filed += 1;
        on_filed(&request);
        if cfg.count.is_none_or(|c| filed < c) {
            tokio::time::sleep(interval).await;
        }
    }
    Ok(filed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_realistic_and_follow_the_triage_rules() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut chronic = 0;
        let mut children = 0;
        let mut emergencies = 0;
        for _ in 0..500 {
            let r = consultation_request(&mut rng, "org-1", 1_790_000_000_000);
            assert!(SPECIALTIES.contains(&r.specialty.as_str()));
            assert!(!r.complaint.is_empty());
            assert!(r.patient.masked_name.ends_with("**"), "de-identified");
            // R-TRI-7: every child under 6 comes with a guardian.
            if r.patient.age_years < 6 {
                assert!(r.patient.guardian.is_some());
            }
            if r.patient.guardian.is_some() {
                children += 1;
            }
            match r.chronic_icd10.as_deref() {
                Some("I10") => {
                    assert!(r.vitals.systolic_mmhg.is_some());
                    chronic += 1;
                }
                Some("E11") => {
                    assert!(r.vitals.glucose_mmol_l.is_some());
                    chronic += 1;
                }
                _ => {}
            }
            if r.priority == Priority::Emergency {
                assert_eq!(r.specialty, "emergency");
                emergencies += 1;
            }
            if r.vitals.temperature_c.is_some_and(|t| t >= 38.5)
                && r.priority != Priority::Emergency
            {
                assert_eq!(r.priority, Priority::Urgent);
            }
            // The vitals agree with the complaint (no fever under "无发热").
            if r.complaint.contains("无发热") {
                assert!(r.vitals.temperature_c.is_some_and(|t| t < 37.5), "{r:?}");
            }
            if r.complaint.contains("38.9℃") {
                assert!(
                    r.vitals
                        .temperature_c
                        .is_some_and(|t| (t - 38.9).abs() < 0.01)
                );
            }
        }
        assert!(
            chronic > 100 && children > 30 && emergencies > 10,
            "{chronic} {children} {emergencies}"
        );
    }
}
