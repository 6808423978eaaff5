//! The endpoints of `icash.txt`, one method each (the token is in the module above). Field
//! names, methods and paths exactly as the document writes them, misspellings included
//! (`ReseveriCashCardNumber`).

use reqwest::Method;
use time::Date;

use super::{Auth, IcashClient, IcashError};
use crate::money::Money;
use crate::providers::icash::wire::{
    self, Balance, Entry, NetworkNumber, Operation, PaymentCodeAnswer, SetPinAnswer, Statement,
    VoucherAnswer, form_amount,
};

/// Whether the customer can buy, and the answer as it came (for the log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Purchase {
    pub allowed: bool,
}

/// `ValidateVoucher`, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoucherCheck {
    pub secret_no: String,
    pub amount: Money,
    pub valid: bool,
    pub network: String,
    pub charge_date: Option<String>,
}

/// A statement, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementPage {
    pub current_balance: Money,
    /// Newest first, as iCash lists them.
    pub entries: Vec<Entry>,
}

/// A money-moving call's answer: its operation number and time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    pub reference: String,
    pub date_time: Option<String>,
}

fn done(op: Operation) -> Result<Done, IcashError> {
    if op.reference.0.trim().is_empty() {
        return Err(IcashError::Unreadable {
            what: "operation",
            detail: "OperationReferenceNumber is missing".into(),
        });
    }
    Ok(Done {
        reference: op.reference.0,
        date_time: op.date_time,
    })
}

const ACCOUNT: &str = "api/ICashAccount/";
const MERCHANT: &str = "api/Merchant/";

impl IcashClient {
    fn card_query(&self) -> Vec<(&'static str, String)> {
        vec![("iCashCardNumber", self.config.card_number.clone())]
    }

    async fn account_get(
        &self,
        name: &str,
        query: Vec<(&str, String)>,
    ) -> Result<crate::providers::http::RawResponse, IcashError> {
        self.call(
            Method::GET,
            &format!("{ACCOUNT}{name}"),
            &query,
            &[],
            Auth::Bearer,
        )
        .await
    }

    async fn post(
        &self,
        path: &str,
        form: &[(&str, String)],
    ) -> Result<crate::providers::http::RawResponse, IcashError> {
        self.call(Method::POST, path, &self.card_query(), form, Auth::Bearer)
            .await
    }

    /// `GET /api/ICashAccount/GetBalance`.
    pub async fn balance(&self) -> Result<Money, IcashError> {
        let r = self.account_get("GetBalance", self.card_query()).await?;
        let b: Balance = r.json()?;
        Ok(b.current_balance.to_money()?)
    }

    /// `GET /api/ICashAccount/GetStatement` for Libya calendar days `from..=to`.
    pub async fn statement(
        &self,
        from: Date,
        to: Date,
        records: u32,
    ) -> Result<StatementPage, IcashError> {
        let mut q = self.card_query();
        q.push(("From", wire::statement_day(from)));
        q.push(("To", wire::statement_day(to)));
        q.push(("NumberOfRecords", records.to_string()));
        let r = self.account_get("GetStatement", q).await?;
        let s: Statement = r.json()?;
        let entries = s
            .rows
            .iter()
            .map(|row| row.to_entry())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(StatementPage {
            current_balance: s.current_balance.to_money()?,
            entries,
        })
    }

    /// `POST /api/ICashAccount/TransferMoney` from the merchant's card to `receiver`.
    pub async fn transfer(
        &self,
        receiver: &str,
        amount: Money,
        message: &str,
    ) -> Result<Done, IcashError> {
        let form = [
            ("ReseveriCashCardNumber", receiver.to_string()),
            ("Amount", form_amount(amount)),
            ("Message", message.to_string()),
        ];
        let r = self.post(&format!("{ACCOUNT}TransferMoney"), &form).await?;
        done(r.json()?)
    }

    /// `POST /api/ICashAccount/GeneratePaymentCode`: a one-time code to pay `amount` at shop
    /// `shop` from the logged-in account's card (the customer's side of card-and-code).
    pub async fn generate_payment_code(
        &self,
        shop: u32,
        amount: Money,
    ) -> Result<String, IcashError> {
        let form = [
            ("ShopNumber", shop.to_string()),
            ("Amount", form_amount(amount)),
        ];
        let r = self
            .post(&format!("{ACCOUNT}GeneratePaymentCode"), &form)
            .await?;
        let a: PaymentCodeAnswer = r.json()?;
        Ok(a.payment_code.0)
    }

    /// `POST /api/ICashAccount/ValidateVoucher`.
    pub async fn validate_voucher(
        &self,
        voucher: &str,
        value: Money,
    ) -> Result<VoucherCheck, IcashError> {
        let form = [
            ("Voucher", voucher.to_string()),
            ("VoucherValue", form_amount(value)),
        ];
        let r = self
            .post(&format!("{ACCOUNT}ValidateVoucher"), &form)
            .await?;
        let a: VoucherAnswer = r.json()?;
        let valid = wire::flexible_bool(&a.valid).ok_or_else(|| IcashError::Unreadable {
            what: "ValidateVoucher",
            detail: format!("Valid is {}, not a boolean", a.valid),
        })?;
        Ok(VoucherCheck {
            secret_no: a.secret_no.0,
            amount: a.amount.to_money()?,
            valid,
            network: a.network.0,
            charge_date: a.charge_date,
        })
    }

    /// `POST /api/ICashAccount/RedeemVoucher`: the voucher's value onto the merchant's card.
    pub async fn redeem_voucher(&self, voucher: &str, value: Money) -> Result<Done, IcashError> {
        let form = [
            ("Voucher", voucher.to_string()),
            ("VoucherValue", form_amount(value)),
        ];
        let r = self.post(&format!("{ACCOUNT}RedeemVoucher"), &form).await?;
        done(r.json()?)
    }

    /// `POST /api/ICashAccount/PayInvoice`: the customer's card pays the merchant with the
    /// payment code the customer generated.
    pub async fn pay_invoice(
        &self,
        customer: &str,
        total: Money,
        code: &str,
        description: &str,
    ) -> Result<Done, IcashError> {
        let form = [
            ("CustomeriCashCardNumber", customer.to_string()),
            ("InvoiceTotalAmount", form_amount(total)),
            ("PaymentCode", code.to_string()),
            ("Description", description.to_string()),
        ];
        let r = self.post(&format!("{ACCOUNT}PayInvoice"), &form).await?;
        done(r.json()?)
    }

    /// `GET /api/ICashAccount/GetiCashCardNetworkNumber` for any card (no token needed).
    pub async fn network_number(&self, card: &str) -> Result<String, IcashError> {
        let r = self
            .call(
                Method::GET,
                &format!("{ACCOUNT}GetiCashCardNetworkNumber"),
                &[("iCashCardNumber", card.to_string())],
                &[],
                Auth::Anonymous,
            )
            .await?;
        let a: NetworkNumber = r.json()?;
        Ok(a.package_number.0)
    }

    /// `POST /api/Merchant/CanCustomerPurchase`.
    pub async fn can_customer_purchase(
        &self,
        customer: &str,
        amount: Money,
    ) -> Result<Purchase, IcashError> {
        let form = [
            ("CustomeriCashCardNumber", customer.to_string()),
            ("Amount", form_amount(amount)),
            ("GenerateInvoiceQR", "false".to_string()),
        ];
        let r = self
            .post(&format!("{MERCHANT}CanCustomerPurchase"), &form)
            .await?;
        let v: serde_json::Value = r.json()?;
        let allowed = wire::can_purchase(&v).ok_or_else(|| IcashError::Unreadable {
            what: "CanCustomerPurchase",
            detail: format!("no yes/no in {:.80}", v.to_string()),
        })?;
        Ok(Purchase { allowed })
    }

    /// `GET /api/Merchant/GeneratePaymentQR`: the PNG image of the payment QR for `amount`
    /// at shop `shop`.
    pub async fn payment_qr(&self, amount: Money, shop: u32) -> Result<Vec<u8>, IcashError> {
        let q = [
            ("Amount", form_amount(amount)),
            ("ShopID", shop.to_string()),
        ];
        let r = self
            .call(
                Method::GET,
                &format!("{MERCHANT}GeneratePaymentQR"),
                &q,
                &[],
                Auth::Bearer,
            )
            .await?;
        let ct = r.content_type().to_ascii_lowercase();
        let is_png = r.body.starts_with(b"\x89PNG\r\n\x1a\n");
        if !is_png {
            return Err(IcashError::Unreadable {
                what: "GeneratePaymentQR",
                detail: format!(
                    "expected a PNG image, got {} bytes of {:?}",
                    r.body.len(),
                    if ct.is_empty() {
                        "no content type"
                    } else {
                        &ct
                    }
                ),
            });
        }
        Ok(r.body)
    }

    /// `POST /api/ICashAccount/SetNewPIN`. `false`: iCash refused the PIN.
    pub async fn set_new_pin(&self, pin: &str, confirm: &str) -> Result<bool, IcashError> {
        let form = [
            ("PIN", pin.to_string()),
            ("ConfirmPIN", confirm.to_string()),
        ];
        let r = self.post(&format!("{ACCOUNT}SetNewPIN"), &form).await?;
        let a: SetPinAnswer = r.json()?;
        a.succeeded().ok_or_else(|| IcashError::Unreadable {
            what: "SetNewPIN",
            detail: "IsOperationSuccessful is not a boolean".into(),
        })
    }
}
