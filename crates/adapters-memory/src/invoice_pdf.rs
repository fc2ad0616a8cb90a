//! The billing simulator's invoices as PDF documents: one A4 page with the
//! issuer, the customer (and its VAT id), the lines, the discount where there
//! is one, the VAT line for a customer with a VAT id and a country, and the
//! totals — written with `pdf-writer` in Helvetica (one of the 14 fonts every
//! reader has, so nothing is embedded), WinAnsi-encoded.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use tenantry_ports::payment::{CustomerDetails, Invoice, InvoiceStatus};

/// An invoice with the customer it was issued to.
#[derive(Clone, Debug)]
pub struct InvoiceDocument {
    /// The invoice.
    pub invoice: Invoice,
    /// Its customer, as the provider knows it.
    pub customer: CustomerDetails,
}

/// Text in the font's WinAnsi encoding: Latin-1 as it is, `€` as 0x80,
/// anything else as `?` (never a byte that would end the string early: the
/// writer escapes the string's delimiters).
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            c if (' '..='~').contains(&c) || ('\u{a0}'..='\u{ff}').contains(&c) => {
                u8::try_from(u32::from(c)).unwrap_or(b'?')
            }
            _ => b'?',
        })
        .collect()
}

/// A4 in points.
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 56.0;
const AMOUNT_X: f32 = 440.0;

/// Lines of text written top-down on the page.
struct Page {
    content: Content,
    y: f32,
}

impl Page {
    fn text(&mut self, x: f32, size: f32, text: &str) {
        self.content.begin_text();
        self.content.set_font(Name(b"F1"), size);
        self.content.next_line(x, self.y);
        self.content.show(Str(&win_ansi(text)));
        self.content.end_text();
    }

    /// `label` at the left and `amount` in the amounts' column, then down a line.
    fn row(&mut self, label: &str, amount: &str, size: f32) {
        self.text(LEFT, size, label);
        self.text(AMOUNT_X, size, amount);
        self.y -= size + 6.0;
    }

    fn line(&mut self, size: f32, text: &str) {
        self.text(LEFT, size, text);
        self.y -= size + 6.0;
    }

    fn rule(&mut self) {
        self.content.set_line_width(0.5);
        self.content.move_to(LEFT, self.y + 4.0);
        self.content.line_to(WIDTH - LEFT, self.y + 4.0);
        self.content.stroke();
        self.y -= 10.0;
    }
}

/// The PDF of `doc`, issued by `issuer`.
pub fn invoice_pdf(doc: &InvoiceDocument, issuer: &str) -> Vec<u8> {
    let invoice = &doc.invoice;
    let number = invoice.number.clone().unwrap_or_else(|| invoice.id.clone());
    let mut page = Page { content: Content::new(), y: HEIGHT - 72.0 };
    page.line(20.0, &format!("Invoice {number}"));
    page.line(9.0, "Issued by the billing simulator: no real payment was made.");
    page.y -= 8.0;
    page.line(10.0, &format!("From: {issuer}"));
    page.line(10.0, &format!("To: {}", doc.customer.name));
    page.line(10.0, &doc.customer.email.to_string());
    let vat = match (&doc.customer.country, &doc.customer.vat_id) {
        (Some(country), Some(vat_id)) => {
            page.line(10.0, &format!("Country: {}  VAT ID: {}", country.as_str(), vat_id.as_str()));
            true
        }
        (Some(country), None) => {
            page.line(10.0, &format!("Country: {}", country.as_str()));
            false
        }
        _ => false,
    };
    page.y -= 8.0;
    page.line(10.0, &format!("Date: {}", invoice.created_at.format("%Y-%m-%d")));
    if let Some(period) = invoice.period {
        page.line(
            10.0,
            &format!("Period: {} to {}", period.start().format("%Y-%m-%d"), period.end().format("%Y-%m-%d")),
        );
    }
    let status = match invoice.status {
        InvoiceStatus::Draft => "draft",
        InvoiceStatus::Open => "open",
        InvoiceStatus::Paid => "paid",
        InvoiceStatus::Void => "void",
        InvoiceStatus::Uncollectible => "uncollectible",
    };
    page.line(10.0, &format!("Status: {status}"));
    page.y -= 12.0;
    page.row("Description", "Amount", 10.0);
    page.rule();
    for line in &invoice.lines {
        let what = if line.quantity > 1 {
            format!("{} (x{})", line.description, line.quantity)
        } else {
            line.description.clone()
        };
        page.row(&what, &line.amount.to_string(), 10.0);
    }
    page.rule();
    page.row("Subtotal", &invoice.subtotal.to_string(), 10.0);
    if let Some(discount) = invoice.discount {
        page.row("Discount", &format!("-{discount}"), 10.0);
    }
    if vat {
        page.row("VAT", &invoice.tax.to_string(), 10.0);
    }
    page.row("Total", &invoice.total.to_string(), 12.0);
    if invoice.starting_balance.cents() != 0 {
        page.row("Carried over from earlier invoices", &invoice.starting_balance.to_string(), 10.0);
    }
    page.row("Paid", &invoice.amount_paid.to_string(), 10.0);
    if invoice.carried_over.cents() != 0 {
        page.row("Carried to the next invoice", &invoice.carried_over.to_string(), 10.0);
    }

    let (catalog, pages, page_id, font, contents, info) =
        (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4), Ref::new(5), Ref::new(6));
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page_id]).count(1);
    let mut p = pdf.page(page_id);
    p.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT)).parent(pages).contents(contents);
    p.resources().fonts().pair(Name(b"F1"), font);
    p.finish();
    pdf.type1_font(font).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.stream(contents, &page.content.finish());
    pdf.document_info(info).title(TextStr(&format!("Invoice {number}"))).creator(TextStr("tenantry billing simulator"));
    pdf.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // test code
mod tests {
    use super::*;
    use chrono::TimeZone;
    use tenantry_domain::text::{CountryCode, VatId};
    use tenantry_domain::{Email, Money, Period, TenantId};
    use tenantry_ports::payment::InvoiceLine;

    fn document(vat: bool) -> InvoiceDocument {
        let start = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let period = Period::new(start, chrono::Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()).unwrap();
        let line = |description: &str, quantity, cents| InvoiceLine {
            description: description.into(),
            quantity,
            amount: Money::eur(cents),
            proration: false,
            period: Some(period),
        };
        InvoiceDocument {
            invoice: Invoice {
                id: "in_sim0_000007".into(),
                number: Some("SIM-000007".into()),
                status: InvoiceStatus::Paid,
                subtotal: Money::eur(5985),
                discount: None,
                tax: Money::eur(0),
                total: Money::eur(5985),
                starting_balance: Money::eur(0),
                amount_paid: Money::eur(5985),
                amount_due: Money::eur(5985),
                carried_over: Money::eur(0),
                created_at: start,
                period: Some(period),
                lines: vec![
                    line("Standard plan (3 seats included) (month)", 1, 4995),
                    line("2 extra seat(s) (month)", 2, 990),
                ],
                hosted_url: None,
                pdf_url: None,
            },
            customer: CustomerDetails {
                tenant_id: TenantId::parse("0191e6a0-0000-7000-8000-000000000001").unwrap(),
                name: "Müller & Söhne (B.V.) – €".into(),
                email: Email::parse("billing@muller.example").unwrap(),
                country: Some(CountryCode::parse("NL").unwrap()),
                vat_id: vat.then(|| VatId::parse("NL123456789B01").unwrap()),
            },
        }
    }

    /// The PDF is read back by a parser that is not its writer (lopdf): one
    /// page, whose text holds the number, the customer, each line, the totals,
    /// and the VAT line only for a customer with a VAT id and a country.
    #[test]
    fn an_invoice_reads_back_as_a_one_page_pdf_with_its_lines_and_totals() {
        let bytes = invoice_pdf(&document(true), "tenantry");
        assert!(bytes.starts_with(b"%PDF-"));
        let pdf = lopdf::Document::load_mem(&bytes).expect("a PDF lopdf reads");
        assert_eq!(pdf.get_pages().len(), 1);
        let text = pdf.extract_text(&[1]).unwrap();
        for expected in [
            "Invoice SIM-000007",
            "Müller & Söhne (B.V.) ? €",
            "NL123456789B01",
            "Period: 2026-12-01 to 2027-01-01",
            "Standard plan (3 seats included) (month)",
            "49.95 EUR",
            "2 extra seat(s) (month) (x2)",
            "9.90 EUR",
            "Subtotal",
            "59.85 EUR",
            "VAT",
            "Status: paid",
        ] {
            assert!(text.contains(expected), "{expected:?} in {text}");
        }
        let without = invoice_pdf(&document(false), "tenantry");
        let text = lopdf::Document::load_mem(&without).unwrap().extract_text(&[1]).unwrap();
        assert!(!text.contains("VAT"), "no VAT id: no VAT line: {text}");
    }
}
