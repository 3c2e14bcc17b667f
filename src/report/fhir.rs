//! `export RELEASE --format fhir`: one release as a FHIR R4 `CodeSystem` resource (JSON), for
//! terminology servers (HAPI FHIR, Ontoserver, Snowstorm); and `--format fhir-conceptmap`: a
//! `ConceptMap` from the release's terminated codes to their cross-reference codes.
//!
//! Every code and modifier is a concept, terminated ones too (status `retired`): a server that
//! loads the release still knows them. Display and definition are the long description; the
//! short description is a designation; CMS's fields are concept properties declared at the top.

use std::io::{self, Write};

use serde::Serialize;

use crate::diff;
use crate::model::{Record, Snapshot, sections};

/// The HCPCS Level II code system's canonical URI, as HL7's terminology names it.
pub const SYSTEM: &str = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets";
/// CPT, which some cross-references name (`99493`, `0932T`).
pub const CPT: &str = "http://www.ama-assn.org/go/cpt";
const PUBLISHER: &str = "Centers for Medicare & Medicaid Services (CMS)";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CodeSystem<'a> {
    resource_type: &'static str,
    id: String,
    url: &'static str,
    version: String,
    name: &'static str,
    title: String,
    status: &'static str,
    experimental: bool,
    date: String,
    publisher: &'static str,
    description: String,
    case_sensitive: bool,
    content: &'static str,
    count: usize,
    property: Vec<PropertyDef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    concept: Vec<Concept<'a>>,
}

#[derive(Serialize)]
struct PropertyDef {
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<&'static str>,
    description: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Concept<'a> {
    code: &'a str,
    /// Absent rather than empty: FHIR allows no empty strings.
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    designation: Vec<Designation<'a>>,
    property: Vec<Property<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Designation<'a> {
    language: &'static str,
    #[serde(rename = "use")]
    usage: Coding,
    value: &'a str,
}

#[derive(Serialize)]
struct Coding {
    system: &'static str,
    code: &'static str,
    display: &'static str,
}

#[derive(Serialize)]
struct Property<'a> {
    code: &'static str,
    #[serde(flatten)]
    value: PropertyValue<'a>,
}

#[derive(Serialize)]
enum PropertyValue<'a> {
    #[serde(rename = "valueCode")]
    Code(&'a str),
    #[serde(rename = "valueDateTime")]
    DateTime(String),
    #[serde(rename = "valueBoolean")]
    Boolean(bool),
}

/// The properties every concept may carry, declared once on the code system.
const PROPERTIES: &[(&str, Option<&str>, &str, &str)] = &[
    (
        "status",
        Some("http://hl7.org/fhir/concept-properties#status"),
        "active, or retired when CMS gives the code a termination date",
        "code",
    ),
    (
        "inactive",
        Some("http://hl7.org/fhir/concept-properties#inactive"),
        "true when CMS gives the code a termination date",
        "boolean",
    ),
    (
        "kind",
        None,
        "procedure (a procedure or supply code) or modifier",
        "code",
    ),
    (
        "section",
        None,
        "the section of HCPCS Level II the code is in: its range (E0100-E9999 for durable medical equipment) or modifiers, as hcpcs-diff's README lists them",
        "code",
    ),
    ("added", None, "CMS's date added", "dateTime"),
    (
        "termination",
        None,
        "CMS's termination date: not billable after it",
        "dateTime",
    ),
    (
        "actionEffective",
        None,
        "the date CMS's action code for this release takes effect",
        "dateTime",
    ),
    (
        "pricingIndicator",
        None,
        "CMS's pricing indicator (one per value)",
        "code",
    ),
    ("coverage", None, "CMS's coverage code", "code"),
    (
        "betos",
        None,
        "Berenson-Eggers type of service (BETOS)",
        "code",
    ),
    (
        "typeOfService",
        None,
        "CMS's type of service code (one per value)",
        "code",
    ),
];

/// The short description's designation use: a synonym, as FHIR's designation-use value set
/// offers it.
const SHORT: Coding = Coding {
    system: "http://snomed.info/sct",
    code: "900000000000013009",
    display: "Synonym",
};

fn properties(r: &Record) -> Vec<Property<'_>> {
    let date = |d: chrono::NaiveDate| PropertyValue::DateTime(d.format("%Y-%m-%d").to_string());
    let retired = r.is_terminated();
    let status = if retired { "retired" } else { "active" };
    let mut out = vec![
        ("status", PropertyValue::Code(status)),
        ("inactive", PropertyValue::Boolean(retired)),
        ("kind", PropertyValue::Code(r.kind.as_str())),
    ];
    out.extend(sections::of(&r.code, r.kind).map(|s| ("section", PropertyValue::Code(s.id))));
    out.extend(r.added_date.map(|d| ("added", date(d))));
    out.extend(r.termination_date.map(|d| ("termination", date(d))));
    out.extend(
        r.action_effective_date
            .map(|d| ("actionEffective", date(d))),
    );
    let codes: [(&str, &[String]); 4] = [
        ("pricingIndicator", &r.pricing_indicators),
        ("coverage", r.coverage.as_slice()),
        ("betos", r.betos.as_slice()),
        ("typeOfService", &r.types_of_service),
    ];
    for (key, values) in codes {
        out.extend(values.iter().map(|v| (key, PropertyValue::Code(v))));
    }
    out.into_iter()
        .map(|(code, value)| Property { code, value })
        .collect()
}

fn concept(r: &Record) -> Concept<'_> {
    let description = Some(r.long_description.as_str()).filter(|d| !d.is_empty());
    Concept {
        code: &r.code,
        display: description,
        definition: description,
        designation: r
            .short_description
            .iter()
            .map(|s| Designation {
                language: "en",
                usage: SHORT,
                value: s,
            })
            .collect(),
        property: properties(r),
    }
}

/// Where the release came from, for a resource's description.
fn provenance(snapshot: &Snapshot) -> String {
    let p = &snapshot.provenance;
    format!(
        "exported by hcpcs-diff from {} (sha256 {})",
        p.source.display(),
        p.source.sha256
    )
}

/// Writes `snapshot` as a FHIR R4 CodeSystem resource in JSON.
pub fn code_system(out: &mut dyn Write, snapshot: &Snapshot) -> io::Result<()> {
    let release = snapshot.release();
    let doc = CodeSystem {
        resource_type: "CodeSystem",
        id: format!("hcpcs-{release}"),
        url: SYSTEM,
        version: release.to_string(),
        name: "HCPCSLevelII",
        title: format!("HCPCS Level II, release {release}"),
        status: "active",
        experimental: false,
        date: release.first_day().to_string(),
        publisher: PUBLISHER,
        description: format!(
            "CMS's HCPCS Level II codes and modifiers of release {release}, every one of them \
             (terminated ones with status retired); {}.",
            provenance(snapshot)
        ),
        case_sensitive: true,
        content: "complete",
        count: snapshot.records.len(),
        property: PROPERTIES
            .iter()
            .map(|&(code, uri, description, kind)| PropertyDef {
                code,
                uri,
                description,
                kind,
            })
            .collect(),
        concept: snapshot.records.iter().map(concept).collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConceptMap<'a> {
    resource_type: &'static str,
    id: String,
    version: String,
    name: &'static str,
    title: String,
    status: &'static str,
    experimental: bool,
    date: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    group: Vec<Group<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Group<'a> {
    source: &'static str,
    source_version: String,
    target: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_version: Option<String>,
    element: Vec<Element<'a>>,
}

#[derive(Serialize)]
struct Element<'a> {
    code: &'a str,
    display: &'a str,
    target: Vec<Target>,
}

#[derive(Serialize)]
struct Target {
    code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    display: Option<String>,
    equivalence: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

/// The cross-references of `r` into HCPCS (`cpt` false) or outside it (`cpt` true), with their
/// status in `snapshot`.
fn targets(r: &Record, snapshot: &Snapshot, cpt: bool) -> Vec<Target> {
    let release = snapshot.release();
    diff::replacements(r, snapshot)
        .into_iter()
        .filter(|t| (t.status == "outside_level_ii") == cpt)
        .map(|t| Target {
            comment: match t.status {
                "discontinued" => Some(format!("terminated in {release} too")),
                "missing" => Some(format!("not in release {release}")),
                _ => None,
            },
            code: t.code,
            display: t.description,
            equivalence: "relatedto",
        })
        .collect()
}

/// Writes a FHIR R4 ConceptMap from the terminated codes of `snapshot` to their
/// cross-reference codes: HCPCS codes in one group, CPT codes in another. Terminated codes
/// without cross-references are left out.
pub fn concept_map(out: &mut dyn Write, snapshot: &Snapshot) -> io::Result<()> {
    let release = snapshot.release();
    let group = |cpt: bool| {
        let element: Vec<Element> = snapshot
            .records
            .iter()
            .filter(|r| r.is_terminated())
            .map(|r| Element {
                code: &r.code,
                display: &r.long_description,
                target: targets(r, snapshot, cpt),
            })
            .filter(|e| !e.target.is_empty())
            .collect();
        Group {
            source: SYSTEM,
            source_version: release.to_string(),
            target: if cpt { CPT } else { SYSTEM },
            target_version: (!cpt).then(|| release.to_string()),
            element,
        }
    };
    let doc = ConceptMap {
        resource_type: "ConceptMap",
        id: format!("hcpcs-{release}-cross-references"),
        version: release.to_string(),
        name: "HCPCSCrossReferences",
        title: format!("HCPCS Level II, release {release}: terminated codes to use instead"),
        status: "active",
        experimental: false,
        date: release.first_day().to_string(),
        description: format!(
            "Each code that release {release} terminates, mapped to the cross-reference codes \
             CMS gives for it; {}.",
            provenance(snapshot)
        ),
        group: [group(false), group(true)]
            .into_iter()
            .filter(|g| !g.element.is_empty())
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}
