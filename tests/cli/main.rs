//! One integration-test binary: each module drives the built `hcpcs-diff` (or the library) on
//! fixtures written here in CMS's formats, and on the real releases in the folder that
//! `HCPCS_DIFF_DATA` names (`tests/data/README.md`); without it those tests skip, and the
//! `real_data_summary` target that cargo runs next says how many did.

mod agreement;
mod arguments;
mod audit;
mod audit_input;
mod bad_input;
mod changelog;
mod cms_reports;
mod corrections;
mod diff;
mod docs;
mod ecosystem;
mod export_formats;
mod fetch;
mod filters;
mod forms;
mod fuzz;
mod hostile;
mod injection;
mod integrity;
mod meaning;
mod output;
mod real_releases;
mod revisions;
mod rules;
mod schema;
mod sections;
mod site;
mod store;
mod util;
mod warehouse;
