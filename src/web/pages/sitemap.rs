//! `/sitemap.xml`: manuals, articles, troubleshooters and questions, so
//! customers find answers from web search.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::app::AppState;
use crate::db::models::{articles, manuals, questions, trees};
use crate::error::AppResult;
use crate::ids::QuestionId;
use crate::markdown::escape_html;
use crate::web::paths;
use crate::web::templates::format_iso_day;
use crate::web::with_db;

/// Most URLs in one sitemap file (the protocol's limit).
const MAX_URLS: usize = 50_000;

/// GET /sitemap.xml
pub async fn get_sitemap(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let base = state.config.base_url.clone();
    let urls: Vec<(String, i64)> = with_db(&state, |conn| {
        let mut urls = vec![
            ("/".to_string(), 0),
            ("/docs".to_string(), 0),
            ("/troubleshoot".to_string(), 0),
            (paths::QUESTIONS.to_string(), 0),
        ];
        for manual in manuals::list(conn)? {
            urls.push((paths::manual(&manual.slug), manual.updated_at));
            for a in articles::list_for_manual(conn, manual.id, false)? {
                urls.push((paths::article(&manual.slug, &a.slug), a.updated_at));
            }
        }
        for t in trees::list(conn)? {
            urls.push((paths::tree(&t.slug), t.updated_at));
        }
        let mut after = QuestionId(0);
        while urls.len() < MAX_URLS {
            let batch = questions::visible_paths(conn, after, 5_000)?;
            let Some(last) = batch.last() else { break };
            after = last.0;
            urls.extend(
                batch
                    .into_iter()
                    .map(|(id, slug, at)| (paths::question(id, &slug), at)),
            );
        }
        urls.truncate(MAX_URLS);
        Ok(urls)
    })
    .await?;
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    for (path, at) in urls {
        xml.push_str(&format!(
            "<url><loc>{}</loc>",
            escape_html(&format!("{base}{path}"))
        ));
        if at > 0 {
            xml.push_str(&format!("<lastmod>{}</lastmod>", format_iso_day(at)));
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    let mut response = HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/xml; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(xml);
    response
        .extensions_mut()
        .insert(crate::web::errors::KeepBody);
    Ok(response)
}
