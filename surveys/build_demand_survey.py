"""Writes the yearly demand survey workbook (XLSForm) that staff open and edit in Excel.

    .venv/bin/python surveys/build_demand_survey.py

Built only from the centre's fact sheet (../shared/domain/khuyencong-facts.md): support
contents ND-01..ND-11, sectors DT-05, kinds of establishment DT-02, tax codes ID-01/ID-02,
machinery examples HP-07/HP-09. Once staff edit the .xlsx by hand, the workbook is the
source and this script only shows how it was first made.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

OUTPUT = Path(__file__).with_name("khao-sat-nhu-cau-ho-tro-khuyen-cong.xlsx")
VI, EN = "Tiếng Việt (vi)", "English (en)"

SURVEY_COLUMNS = [
    "type", "name", f"label::{VI}", f"label::{EN}", f"hint::{VI}", f"hint::{EN}",
    "required", "relevant", "constraint", f"constraint_message::{VI}",
    f"constraint_message::{EN}", "choice_filter", "appearance",
]
INVESTS = "selected(${noi_dung_ho_tro}, 'may_moc') or selected(${noi_dung_ho_tro}, 'mo_hinh')"

# type, name, label vi, label en, then optional columns by name.
SURVEY = [
    ("start", "start", "", ""),
    ("end", "end", "", ""),
    ("today", "today", "", ""),
    ("note", "gioi_thieu",
     "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Hải Phòng tìm hiểu nhu cầu hỗ trợ "
     "của các cơ sở công nghiệp nông thôn để lập kế hoạch khuyến công năm 2027. Phiếu có "
     "từ 15 đến 19 câu tùy câu trả lời, mất chừng 5 phút.",
     "The Hai Phong Industrial Promotion and Industrial Development Consultancy Centre is "
     "asking rural-industry establishments what support they need, to plan the 2027 "
     "industrial-promotion programme. 15 to 19 questions depending on your answers, some 5 "
     "minutes."),
    ("begin_group", "co_so", "Thông tin cơ sở", "Your establishment"),
    ("text", "ten_co_so", "Tên cơ sở sản xuất của anh/chị là gì?",
     "What is the name of your establishment?", {"required": "yes"}),
    ("text", "ma_so_thue", "Mã số thuế của cơ sở", "Tax code of the establishment", {
        "hint_vi": "Doanh nghiệp, hợp tác xã: 10 chữ số (chi nhánh: 10 chữ số, gạch ngang, "
                   "3 chữ số). Hộ kinh doanh: số định danh cá nhân 12 chữ số của người đại "
                   "diện. Có thể bỏ qua.",
        "hint_en": "Enterprises and cooperatives: 10 digits (a branch: 10 digits, a dash, "
                   "3 digits). Household businesses: the representative's 12-digit personal "
                   "id. You may skip this.",
        "appearance": "tax_code"}),
    ("select_one loai_hinh", "loai_hinh", "Cơ sở của anh/chị thuộc loại hình nào?",
     "What kind of establishment is it?", {"required": "yes"}),
    ("text", "xa_phuong", "Cơ sở sản xuất ở xã, phường hay đặc khu nào của Hải Phòng?",
     "In which commune, ward or special zone of Hai Phong do you produce?", {
         "hint_vi": "Theo tên đơn vị hành chính mới từ 01/7/2025.",
         "hint_en": "Use the new names in force since 1 July 2025.",
         "required": "yes", "appearance": "commune"}),
    ("select_one nganh", "nganh_nghe", "Cơ sở sản xuất trong ngành nào?",
     "What does the establishment produce?", {"required": "yes"}),
    ("text", "nganh_khac", "Ngành khác, xin ghi rõ:", "Other sector, please specify:", {
        "required": "yes", "relevant": "selected(${nganh_nghe}, 'other')"}),
    ("integer", "so_lao_dong", "Cơ sở có bao nhiêu lao động?",
     "How many people work there?", {
         "hint_vi": "Tính cả chủ cơ sở, lấy số bình quân trong năm.",
         "hint_en": "Including the owner; the average over the year.",
         "required": "yes", "constraint": ". >= 1 and . <= 10000",
         "constraint_vi": "Số lao động phải từ 1 đến 10.000.",
         "constraint_en": "The number of workers must be between 1 and 10,000."}),
    ("end_group", "", "", ""),
    ("begin_group", "nhu_cau", "Nhu cầu hỗ trợ", "Support you need"),
    ("select_multiple noi_dung", "noi_dung_ho_tro",
     "Cơ sở cần được hỗ trợ những nội dung khuyến công nào?",
     "Which kinds of industrial-promotion support do you need?", {
         "hint_vi": "Chọn một hoặc nhiều nội dung.",
         "hint_en": "Choose one or more.", "required": "yes"}),
    ("text", "noi_dung_khac", "Nội dung khác, xin ghi rõ:",
     "Other support, please specify:", {
         "required": "yes", "relevant": "selected(${noi_dung_ho_tro}, 'other')"}),
    ("text", "may_moc_mo_ta", "Cơ sở dự định đầu tư máy móc, thiết bị hay dây chuyền nào?",
     "Which machines, equipment or production line do you plan to invest in?", {
         "hint_vi": "Ví dụ: máy đóng gói, máy làm khuôn đúc tự động, máy may lập trình, "
                    "máy điêu khắc CNC.",
         "hint_en": "For example: a packing machine, an automatic moulding line, a "
                    "programmable sewing machine, a CNC carving machine.",
         "required": "yes", "relevant": "selected(${noi_dung_ho_tro}, 'may_moc')"}),
    ("integer", "von_dau_tu", "Tổng vốn cơ sở dự kiến đầu tư là bao nhiêu đồng?",
     "How much do you plan to invest in total, in đồng?", {
         "hint_vi": "Ghi số đồng, ví dụ 700000000 cho 700 triệu. Chưa rõ thì ghi 0.",
         "hint_en": "In đồng, e.g. 700000000 for 700 million. Write 0 if you do not know yet.",
         "relevant": INVESTS, "constraint": ". >= 0",
         "constraint_vi": "Số tiền không được âm.",
         "constraint_en": "The amount cannot be negative."}),
    ("integer", "so_nguoi_dao_tao", "Cơ sở cần đào tạo nghề cho bao nhiêu lao động?",
     "How many workers need vocational training?", {
         "relevant": "selected(${noi_dung_ho_tro}, 'dao_tao')",
         "constraint": ". >= 1 and . <= ${so_lao_dong}",
         "constraint_vi": "Từ 1 đến số lao động của cơ sở.",
         "constraint_en": "Between 1 and your number of workers."}),
    ("select_one hoi_cho", "hoi_cho_o_dau", "Cơ sở muốn tham gia hội chợ ở đâu?",
     "Which trade fairs would you like to attend?", {
         "relevant": "selected(${noi_dung_ho_tro}, 'hoi_cho')"}),
    ("select_one noi_dung", "can_nhat", "Trong các nội dung đã chọn, nội dung nào cần nhất?",
     "Of the support you chose, which do you need most?", {
         "required": "yes", "relevant": "count-selected(${noi_dung_ho_tro}) > 1",
         "choice_filter": "selected(${noi_dung_ho_tro}, name)"}),
    ("select_one thoi_gian", "thoi_gian", "Cơ sở cần được hỗ trợ vào khoảng thời gian nào?",
     "When would you need the support?", {"required": "yes"}),
    ("select_one co_khong", "da_nhan_ho_tro",
     "Cơ sở đã từng nhận hỗ trợ khuyến công chưa?",
     "Has the establishment received industrial-promotion support before?",
     {"required": "yes"}),
    ("end_group", "", "", ""),
    ("begin_group", "lien_he", "Liên hệ", "Contact"),
    ("text", "nguoi_lien_he", "Họ tên người liên hệ", "Contact person's name",
     {"required": "yes"}),
    ("phone number", "dien_thoai", "Số điện thoại liên hệ", "Contact phone number", {
        "hint_vi": "Số di động hoặc cố định, ví dụ 0912345678.",
        "hint_en": "A mobile or landline number, e.g. 0912345678.", "required": "yes"}),
    ("text", "y_kien", "Cơ sở có ý kiến gì khác gửi Trung tâm không?",
     "Anything else you would like to tell the centre?"),
    ("end_group", "", "", ""),
    ("note", "cam_on",
     "Cảm ơn anh/chị đã trả lời. Trung tâm sẽ liên hệ khi lập đề án phù hợp với nhu cầu của "
     "cơ sở.",
     "Thank you. The centre will contact you when it plans a scheme that fits your needs."),
]

CHOICES = [
    ("loai_hinh", "doanh_nghiep", "Doanh nghiệp nhỏ và vừa", "Small or medium enterprise"),
    ("loai_hinh", "hop_tac_xa", "Hợp tác xã, liên hiệp hợp tác xã",
     "Cooperative or union of cooperatives"),
    ("loai_hinh", "to_hop_tac", "Tổ hợp tác", "Cooperative group"),
    ("loai_hinh", "ho_kinh_doanh", "Hộ kinh doanh", "Household business"),
    ("loai_hinh", "chua_dang_ky", "Chưa đăng ký kinh doanh", "Not registered yet"),
    ("nganh", "che_bien", "Chế biến nông, lâm, thủy sản, thực phẩm",
     "Agricultural, forestry, aquatic and food processing"),
    ("nganh", "tieu_dung", "Hàng công nghiệp tiêu dùng, xuất khẩu",
     "Consumer and export goods"),
    ("nganh", "hoa_chat", "Hóa chất phục vụ nông nghiệp", "Chemicals for agriculture"),
    ("nganh", "vat_lieu", "Vật liệu xây dựng", "Building materials"),
    ("nganh", "co_khi", "Cơ khí, điện, điện tử, công nghiệp hỗ trợ",
     "Machinery, electrical and electronic goods, supporting industry"),
    ("nganh", "thu_cong", "Hàng thủ công mỹ nghệ, tiểu thủ công nghiệp",
     "Handicrafts and cottage industry"),
    ("nganh", "khoang_san", "Khai thác, chế biến khoáng sản", "Mining and mineral processing"),
    ("nganh", "other", "Ngành khác", "Other sector"),
    ("noi_dung", "dao_tao", "Đào tạo nghề, truyền nghề cho lao động",
     "Vocational training for workers"),
    ("noi_dung", "quan_ly", "Nâng cao năng lực quản lý (tập huấn, hội thảo, tham quan)",
     "Management skills (courses, workshops, study visits)"),
    ("noi_dung", "mo_hinh", "Xây dựng mô hình trình diễn kỹ thuật",
     "A technical demonstration model"),
    ("noi_dung", "may_moc", "Ứng dụng máy móc, thiết bị tiên tiến, chuyển giao công nghệ",
     "Advanced machinery and technology transfer"),
    ("noi_dung", "sach_hon", "Sản xuất sạch hơn, tiết kiệm năng lượng",
     "Cleaner production, energy saving"),
    ("noi_dung", "binh_chon", "Bình chọn sản phẩm công nghiệp nông thôn tiêu biểu",
     "Typical rural-industry product awards"),
    ("noi_dung", "hoi_cho", "Tham gia hội chợ, triển lãm (thuê gian hàng)",
     "Trade fairs and exhibitions (booth rental)"),
    ("noi_dung", "thuong_hieu", "Xây dựng, đăng ký thương hiệu; bán hàng trực tuyến",
     "Building and registering a brand; online sales"),
    ("noi_dung", "tu_van", "Tư vấn lập dự án, marketing, thiết kế mẫu mã, bao bì",
     "Consultancy: investment projects, marketing, product and packaging design"),
    ("noi_dung", "xu_ly_o_nhiem", "Xử lý ô nhiễm, di dời vào cụm công nghiệp",
     "Pollution treatment, moving into an industrial cluster"),
    ("noi_dung", "other", "Nội dung khác", "Other support"),
    ("hoi_cho", "trong_nuoc", "Hội chợ trong nước", "Fairs in Viet Nam"),
    ("hoi_cho", "nuoc_ngoai", "Hội chợ ở nước ngoài", "Fairs abroad"),
    ("hoi_cho", "ca_hai", "Cả trong nước và nước ngoài", "Both"),
    ("thoi_gian", "dau_2027", "6 tháng đầu năm 2027", "First half of 2027"),
    ("thoi_gian", "cuoi_2027", "6 tháng cuối năm 2027", "Second half of 2027"),
    ("thoi_gian", "tu_2028", "Từ năm 2028 trở đi", "2028 or later"),
    ("thoi_gian", "chua_ro", "Chưa xác định", "Not decided yet"),
    ("co_khong", "co", "Đã từng", "Yes"),
    ("co_khong", "khong", "Chưa", "No"),
]

SETTINGS = {
    "form_id": "nhu_cau_2027",
    "version": "2027.2",
    f"form_title::{VI}": "Khảo sát nhu cầu hỗ trợ khuyến công năm 2027",
    f"form_title::{EN}": "2027 survey of industrial-promotion support needs",
    "default_language": VI,
}

_OPTIONAL = {"hint_vi": f"hint::{VI}", "hint_en": f"hint::{EN}",
             "constraint_vi": f"constraint_message::{VI}",
             "constraint_en": f"constraint_message::{EN}"}
_WIDTHS = {"type": 24, "name": 18, "label": 48, "hint": 40, "required": 10, "relevant": 36,
           "constraint": 28, "constraint_message": 32, "choice_filter": 32, "appearance": 12,
           "list_name": 14}


def build(path: Path = OUTPUT) -> Path:
    """Write the workbook to `path`."""
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(SURVEY_COLUMNS)
    for kind, name, label_vi, label_en, *rest in SURVEY:
        extra = rest[0] if rest else {}
        cells = {"type": kind, "name": name, f"label::{VI}": label_vi,
                 f"label::{EN}": label_en}
        cells.update({_OPTIONAL.get(k, k): v for k, v in extra.items()})
        survey.append([cells.get(column) or None for column in SURVEY_COLUMNS])

    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", f"label::{VI}", f"label::{EN}"])
    for row in CHOICES:
        choices.append(list(row))

    settings = workbook.create_sheet("settings")
    settings.append(list(SETTINGS))
    settings.append(list(SETTINGS.values()))

    for sheet in workbook.worksheets:
        sheet.freeze_panes = "A2"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            base = str(cell.value).split("::")[0]
            sheet.column_dimensions[cell.column_letter].width = _WIDTHS.get(base, 30)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(path)
    return path


if __name__ == "__main__":
    print(build())
