"""A synthetic «Работа в России» feed of any size, in the open-data format.

    .venv/bin/python -m bench.vacancy_feed OUT.json --count 100000 [--seed 1]

Professions in several word forms, towns of four regions with coordinates, salaries, schedules,
quota workplaces; a few records lack coordinates or pay, as real ones do. Written as a stream.
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from pathlib import Path
from typing import Any

PROFESSIONS = (
    ("Водитель автомобиля", "Водительское удостоверение категории B"),
    ("Водитель грузового автомобиля", "Категории C, E"),
    ("Водитель автобуса", "Категория D"),
    ("Водитель-экспедитор", None),
    ("Водитель погрузчика", "Удостоверение тракториста-машиниста"),
    ("Повар", None),
    ("Повар-кондитер", None),
    ("Продавец-кассир", None),
    ("Продавец продовольственных товаров", None),
    ("Кладовщик", None),
    ("Грузчик", None),
    ("Бухгалтер", "1С: Бухгалтерия"),
    ("Главный бухгалтер", None),
    ("Менеджер по продажам", None),
    ("Инженер-программист", "Python, SQL"),
    ("Инженер-конструктор", "КОМПАС-3D"),
    ("Медицинская сестра", "Сертификат специалиста"),
    ("Врач-терапевт участковый", None),
    ("Учитель математики", None),
    ("Воспитатель", None),
    ("Уборщик служебных помещений", None),
    ("Дворник", None),
    ("Охранник", "Удостоверение частного охранника"),
    ("Слесарь механосборочных работ", None),
    ("Слесарь-ремонтник", None),
    ("Электромонтер по ремонту и обслуживанию электрооборудования", "Группа допуска III"),
    ("Электрогазосварщик", "НАКС"),
    ("Токарь", None),
    ("Оператор контакт-центра", None),
    ("Оператор станков с ЧПУ", None),
    ("Швея", None),
    ("Парикмахер", None),
    ("Официант", None),
    ("Бармен", None),
    ("Курьер", None),
    ("Администратор", None),
    ("Юрисконсульт", None),
    ("Экономист", None),
    ("Агроном", None),
    ("Тракторист", "Категория C"),
)
TOWNS = (
    ("6300000000000", "Самарская область", "г Самара", 53.195, 50.100),
    ("6300000000000", "Самарская область", "г Тольятти", 53.508, 49.420),
    ("6300000000000", "Самарская область", "г Сызрань", 53.155, 48.474),
    ("6300000000000", "Самарская область", "г Новокуйбышевск", 53.099, 49.948),
    ("6300000000000", "Самарская область", "г Чапаевск", 52.977, 49.717),
    ("7700000000000", "г. Москва", "г Москва", 55.755, 37.617),
    ("1600000000000", "Республика Татарстан", "г Казань", 55.796, 49.106),
    ("5600000000000", "Оренбургская область", "г Оренбург", 51.768, 55.097),
)
SCHEDULES = (
    "Полный рабочий день",
    "Полный рабочий день",
    "Сменный график",
    "Гибкий график",
    "Неполный рабочий день",
    "Удаленная работа",
    "Вахтовый метод",
)
EMPLOYMENTS = ("Полная занятость", "Полная занятость", "Частичная занятость", "Временная")


def vacancy(rng: random.Random) -> dict[str, Any]:
    job, qualification = rng.choice(PROFESSIONS)
    region_code, region_name, town, lat, lng = rng.choice(TOWNS)
    low = rng.randrange(20_000, 120_000, 1000) if rng.random() > 0.1 else 0
    high = low + rng.randrange(0, 40_000, 1000) if low and rng.random() > 0.3 else 0
    located = rng.random() > 0.03
    return {
        "vacancy": {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "source": "Электронная вакансия",
            "region": {"region_code": region_code, "name": region_name},
            "company": {
                "companycode": str(rng.randrange(10**12)),
                "inn": str(rng.randrange(10**9, 10**10)),
                "ogrn": str(rng.randrange(10**12, 10**13)),
                "name": f"ООО «Предприятие {rng.randrange(5000)}»",
                "email": "hr@example.ru",
                "hr-agency": rng.random() < 0.05,
            },
            "creation-date": f"2026-{rng.randrange(1, 12):02d}-{rng.randrange(1, 28):02d}",
            "salary": f"от {low}" if low else "",
            "salary_min": low,
            "salary_max": high,
            "currency": "«руб.»",
            "job-name": job,
            "vac_url": "https://trudvsem.ru/vacancy/card/0/0",
            "employment": rng.choice(EMPLOYMENTS),
            "schedule": rng.choice(SCHEDULES),
            "duty": f"<p>Работа по профессии «{job}».</p>",
            "category": {"specialisation": "Разное"},
            "requirement": {
                "education": "Среднее",
                "experience": rng.choice((0, 0, 1, 2, 3, 5)),
                "qualification": qualification,
            },
            "addresses": {
                "address": [
                    {
                        "location": f"{region_name}, {town}, ул Ленина, д {rng.randrange(1, 200)}",
                        "lat": f"{lat + rng.uniform(-0.08, 0.08):.5f}" if located else "",
                        "lng": f"{lng + rng.uniform(-0.12, 0.12):.5f}" if located else "",
                    }
                ]
            },
            "social_protected": "Инвалиды" if rng.random() < 0.05 else None,
            "contact_list": [{"contact_type": "Телефон", "contact_value": "+7 (846) 200-00-00"}],
            "contact_person": "Иванова Мария Петровна",
            "work_places": rng.randrange(1, 5),
            "code_profession": str(rng.randrange(10000, 30000)),
        }
    }


def write_feed(path: Path, count: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write('{"status": "200", "results": {"vacancies": [\n')
        for number in range(count):
            if number:
                out.write(",\n")
            out.write(json.dumps(vacancy(rng), ensure_ascii=False))
        out.write("\n]}}\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.vacancy_feed")
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_feed(args.out, args.count, args.seed)


if __name__ == "__main__":
    main()
