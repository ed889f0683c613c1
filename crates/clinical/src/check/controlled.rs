//! Controlled substances (R-RX-5): narcotic and psychotropic drugs (麻醉药品、精神药品) may
//! not be prescribed online at all — a block, whatever the dose.

use meddesk_formulary::schema::Controlled;

use super::request::{FindingCode, Severity};
use super::{Context, Draft, Findings};

pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for line in cx.lines {
        let Some(d) = line.drug else { continue };
        let drug = &cx.pack.drugs[d];
        let Some(class) = drug.controlled else {
            continue;
        };
        let (zh_class, en_class) = match class {
            Controlled::Narcotic => ("麻醉药品", "a narcotic drug"),
            Controlled::Psychotropic1 => ("第一类精神药品", "a Category I psychotropic drug"),
            Controlled::Psychotropic2 => ("第二类精神药品", "a Category II psychotropic drug"),
        };
        let source = drug
            .controlled_source
            .clone()
            .unwrap_or_else(|| "R-RX-5".to_owned());
        out.add(Draft {
            code: FindingCode::ControlledSubstance,
            severity: Severity::Block,
            items: vec![line.ix],
            zh: format!(
                "第{}行：{}属于{zh_class}，互联网诊疗不得开具麻醉药品、精神药品处方。",
                line.ix + 1,
                drug.zh
            ),
            en: format!(
                "Line {}: {} is {en_class}; narcotic and psychotropic drugs cannot be prescribed online.",
                line.ix + 1,
                drug.inn
            ),
            source: &source,
            rule: "controlled.online_ban",
        });
    }
}
