"""Words a coder's mail is made of: the vocabulary of coding and billing, and of medicine.

Screening uses them twice: a message with coding words is a coding question however short it is, and a
capitalised medical or coding word is never read as a patient's name. The lists are our own and kept short:
a word belongs when coders write it in questions (abbreviations included), not because it is in a code set."""

from __future__ import annotations

import re

CODING_WORDS = frozenset("""
code codes coded coding coder coders recode icd icd10 icd-10 icd-10-cm icd-10-pcs cm pcs cpt hcpcs drg ms-drg
apr-drg ncci ptp mue mues e/m em e&m lcd ncd cms medicare medicaid tricare payer payers insurance insurer denial
denials denied deny reimbursement reimburse reimbursed bill bills billed billing billable biller claim claims
modifier modifiers mod dx dxs diagnosis diagnoses px procedure procedures sequence sequencing sequenced principal
secondary guideline guidelines unit units poa hcc hccs raf abn pos global bundle bundled bundling unbundle
unbundled unbundling separately add-on addon excludes excludes1 excludes2 laterality 7th character characters
encounter inpatient outpatient observation discharge admit admission op operative documentation documented
document query queries audit audits auditor compliance rvu rvus superbill charge charges chargemaster cdm ub-04
cms-1500 eob remit carc rarc npi taxonomy specificity unspecified subsequent initial sequela z-code
v-code e-code w-code external cause telehealth level levels mdm cci edits edit payable coverage covered
preventive screening diagnostic facility professional component technical
""".split())

MEDICAL_WORDS = frozenset("""
patient patients pt pts provider physician doctor surgeon nurse clinic hospital er ed icu ambulatory
surgery surgical procedure injection injections infusion biopsy excision incision repair removal debridement
fracture fx laceration wound ulcer burn sprain strain dislocation contusion
pain ache fever cough infection sepsis septic shock diabetes diabetic hypertension htn chf copd asthma pneumonia
cancer tumor mass lesion polyp polyps cyst nodule neoplasm malignant benign metastatic
heart cardiac liver kidney renal lung pulmonary brain spine spinal knee hip shoulder elbow wrist ankle foot hand
finger toe back neck head chest abdomen abdominal pelvis pelvic breast colon rectal bladder prostate uterus eye
ear nose throat skin bone joint muscle tendon ligament nerve vein artery arterial venous blood
scope arthroscopy colonoscopy endoscopy egd mri ct xray x-ray ultrasound echo ekg ecg lab labs panel
therapy pt/ot physical occupational speech rehab dialysis chemo chemotherapy radiation anesthesia sedation
visit exam evaluation consult consultation follow-up followup postop post-op preop pre-op global
pregnancy pregnant delivery cesarean prenatal postpartum newborn pediatric
mental depression anxiety dementia alcohol opioid substance overdose poisoning
vaccine vaccination immunization flu covid obesity bmi smoking nicotine tobacco
chronic acute bilateral unilateral left right lt rt initial subsequent history hx h/o s/p r/o
critical care wound critical-care hospice home-health dme crutches brace wheelchair oxygen
lap chole appy cabg tka tha orif iud
""".split())

# words that make a medical term of what they end: appendicitis, cholecystectomy, colonoscopy, angioplasty
_MEDICAL_SUFFIX = re.compile(
    r"(?:itis|ectomy|ectomies|otomy|ostomy|oscopy|scopy|plasty|graphy|gram|algia|emia|osis|oma|pathy|plegia"
    r"|rrhea|uria|cele|centesis|desis|lysis|pexy|rrhaphy|tripsy|phagia|pnea|cardia|trophy|ectasis|iasis)$")

# the payers coders name in subjects, capitalised like names
PAYER_WORDS = frozenset("""
aetna anthem blue cross shield cigna humana united unitedhealthcare uhc optum kaiser molina centene wellcare
highmark bcbs ambetter oscar geisinger caresource amerigroup
""".split())

_WORD = re.compile(r"[a-z0-9][a-z0-9/&\-']*")


def words(text: str) -> list[str]:
    """The lower-case words of a text ("e/m" and "99213-25" stay one word)."""
    return _WORD.findall(text.lower())


def is_coding_word(word: str) -> bool:
    return word.lower().strip("'") in CODING_WORDS


def is_medical_word(word: str) -> bool:
    word = word.lower().strip("'")
    return word in MEDICAL_WORDS or (len(word) > 5 and _MEDICAL_SUFFIX.search(word) is not None)


def is_subject_matter(word: str) -> bool:
    """A coding, medical or payer word: never a person's name."""
    return is_coding_word(word) or is_medical_word(word) or word.lower() in PAYER_WORDS
